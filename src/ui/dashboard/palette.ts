import { createContext } from "react";

/** Whether the dashboard may use colour (off when NO_COLOR is set). */
export const PaletteContext = createContext<{ color: boolean }>({ color: true });
