// The state of one unsaved edit and its undo stack. Every step (a vertex added, a vertex
// dragged, a grid picked) pushes the previous state, so Undo walks back one step at a time.
// A failed save (conflict, refusal) leaves the state as it is: the planner's drawing is kept.

const listeners = new Set();

function blank() {
  // moves: the vertices dragged in this edit, [{from, to}] (several per edit).
  return { tool: null, points: [], moves: [], other: null, status: 'reserved', newLayer: 'micro', newName: '' };
}

export const session = {
  state: blank(),
  undoStack: [],
  grid: null, // {feature, etag}: the selected grid the edit applies to
  impact: null,
  message: null, // {kind: 'error'|'ok', text}
  asOf: null, // the page's as-of date: a past view cannot be edited

  onChange(f) {
    listeners.add(f);
  },
  changed() {
    for (const f of listeners) f();
  },
  /** Records a step: the current state goes on the undo stack, then `patch` applies. */
  step(patch) {
    this.undoStack.push(structuredClone(this.state));
    Object.assign(this.state, patch);
    this.impact = null;
    this.changed();
  },
  undo() {
    const prev = this.undoStack.pop();
    if (!prev) return;
    this.state = prev;
    this.impact = null;
    this.message = null;
    this.changed();
  },
  start(tool) {
    this.state = { ...blank(), tool, newLayer: this.state.newLayer };
    this.undoStack = [];
    this.impact = null;
    this.message = null;
    this.changed();
  },
  reset() {
    this.start(null);
  },
};
