// Keyboard: Esc cancels the current tool (an edit tool or the measuring tool), Ctrl+Z (⌘Z) takes
// back the last unsaved step. Typing in a text box keeps its own keys (Esc there only leaves it).

import { session } from './edit/session.js';
import { measuring, stop as stopMeasure, undoPoint } from './measure.js';

function typing(target) {
  return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
}

export function mountKeys() {
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      if (typing(e.target)) return;
      if (measuring()) stopMeasure();
      else if (session.state.tool) session.reset();
      else return;
      e.preventDefault();
    } else if ((e.ctrlKey || e.metaKey) && !e.shiftKey && (e.key === 'z' || e.key === 'Z')) {
      if (typing(e.target)) return;
      if (measuring()) undoPoint();
      else if (session.state.tool && session.undoStack.length) session.undo();
      else return;
      e.preventDefault();
    }
  });
}
