/**
 * The playground's entry point: tabs (buttons with arrow-key navigation) over the four tools, each
 * set up on first use.
 */

import "./style.css";
import { initChecker } from "./checker.js";
import { initExplorer } from "./explorer.js";
import { initInspector } from "./inspector.js";
import { showPhaseChart } from "./phase.js";

const tabs = [...document.querySelectorAll<HTMLButtonElement>('[role="tab"]')];

function select(tab: HTMLButtonElement, focus = false): void {
  for (const t of tabs) {
    const on = t === tab;
    t.setAttribute("aria-selected", String(on));
    t.tabIndex = on ? 0 : -1;
    document.getElementById(t.getAttribute("aria-controls")!)!.hidden = !on;
  }
  if (focus) tab.focus();
  if (tab.id === "tab-phase") void showPhaseChart();
  // Not "#explorer": a fragment naming an element would scroll the page to it.
  history.replaceState(null, "", `#tool=${tab.id.slice(4)}`);
}

tabs.forEach((tab, i) => {
  tab.addEventListener("click", () => select(tab));
  tab.addEventListener("keydown", (e) => {
    const k = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
    if (k !== undefined) select(tabs[(i + k + tabs.length) % tabs.length], true);
    else if (e.key === "Home") select(tabs[0], true);
    else if (e.key === "End") select(tabs[tabs.length - 1], true);
  });
});

initExplorer();
initChecker();
initInspector();
select(tabs.find((t) => `#tool=${t.id.slice(4)}` === location.hash) ?? tabs[0]);
