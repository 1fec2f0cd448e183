// The interface speaks Chinese first (the planners' language); English is a toggle.
// Every visible string goes through t() so that switching re-renders everything.

const TABLE = {
  title: ['网格化服务管理', 'Grid service management'],
  search_placeholder: ['搜索网格编码或名称', 'Search grid code or name'],
  as_of: ['查看日期', 'As of'],
  layers: ['图层', 'Layers'],
  admin: ['行政区划', 'Admin areas'],
  base: ['基础网格', 'Base grids'],
  micro: ['微网格', 'Micro grids'],
  special: ['专属网格', 'Special grids'],
  composite: ['多网融合网格', 'Composite grids'],
  buildings: ['建筑', 'Buildings'],
  problems: ['校验问题', 'Problems'],
  colour_by: ['着色', 'Colour by'],
  by_status: ['状态', 'Status'],
  by_band: ['户数标准', 'Households vs standard'],
  active: ['正常', 'Active'],
  reserved: ['预留', 'Reserved'],
  suspended: ['暂停使用', 'Suspended'],
  below: ['低于标准', 'Below standard'],
  within: ['符合标准', 'Within standard'],
  above: ['高于标准', 'Above standard'],
  no_standard: ['无标准', 'No standard'],
  code: ['编码', 'Code'],
  name: ['名称', 'Name'],
  layer: ['类型', 'Layer'],
  status: ['状态', 'Status'],
  households: ['户数', 'Households'],
  residents: ['人口', 'Residents'],
  buildings_n: ['建筑数', 'Buildings'],
  grid_head: ['网格长', 'Grid head'],
  grid_worker: ['网格员', 'Grid worker'],
  nobody: ['未配备', 'none'],
  history: ['历史版本', 'History'],
  version: ['版本', 'version'],
  close: ['关闭', 'Close'],
  stats: ['统计', 'Statistics'],
  households_per_grid: ['各基础网格户数（标准区间）', 'Households per base grid (standard band)'],
  grids_by_status: ['网格状态', 'Grids by status'],
  staffing: ['网格员配备', 'Staffing'],
  workers_per_grid: ['网格员配备比', 'Workers per grid'],
  grids_without_worker: ['无网格员的网格', 'Grids without a worker'],
  validation: ['校验（当前视图）', 'Validation (area in view)'],
  no_problems: ['当前视图无问题', 'No problems in view'],
  kind_gap: ['缝隙', 'Gap'],
  kind_overlap: ['重叠', 'Overlap'],
  kind_sliver_gap: ['细缝', 'Sliver gap'],
  kind_sliver_overlap: ['细条重叠', 'Sliver overlap'],
  kind_child_outside_parent: ['超出所属基础网格', 'Outside its base grid'],
  kind_crosses_community: ['跨越社区边界', 'Crosses its community'],
  kind_invalid_geometry: ['几何无效', 'Invalid geometry'],
  kind_split_building: ['建筑被分割', 'Split building'],
  kind_household_standard: ['户数不符合标准', 'Households outside standard'],
  kind_empty_grid: ['空网格', 'Empty grid'],
  kind_status_summary: ['状态汇总', 'Status summary'],
  kind_check_failed: ['检查无法完成', 'Check could not run'],
  area_in_view: ['当前区域', 'Area in view'],
  loading: ['加载中…', 'Loading…'],
  settings: ['设置', 'Settings'],
  token: ['规划员令牌', 'Planner token'],
  token_saved: ['令牌已保存（仅本会话）', 'Token kept for this session'],
  save_token: ['保存令牌', 'Keep token'],
  clear_token: ['清除', 'Clear'],
  edit: ['编辑', 'Editing'],
  need_token: ['编辑前请在"设置"中输入规划员令牌。', 'Enter a planner token in Settings to edit.'],
  tool_draw: ['绘制新网格', 'Draw grid'],
  tool_split: ['拆分', 'Split'],
  tool_move: ['移动边界点', 'Move vertex'],
  tool_merge: ['合并', 'Merge'],
  tool_status: ['更改状态', 'Change status'],
  select_grid_first: ['请先在地图上点击选择一个网格。', 'Click a grid on the map first.'],
  hint_draw: ['点击添加顶点（自动吸附到已有顶点和边），然后点“预览”。', 'Click to add vertices (snaps to existing vertices and edges), then Preview.'],
  hint_split: ['在所选网格上画一条穿过它的线（两端吸附到边界），然后点“预览”。', 'Draw a line across the selected grid (ends snap to its boundary), then Preview.'],
  hint_move: ['拖动所选网格的顶点；共享该顶点的所有网格一起移动。', 'Drag a vertex of the selected grid; every grid sharing it moves too.'],
  hint_merge: ['点击与所选网格相邻的另一个网格。', 'Click another grid adjacent to the selected one.'],
  hint_status: ['选择新状态，然后点“预览”。', 'Pick the new status, then Preview.'],
  new_layer: ['新网格类型', 'New grid layer'],
  new_name: ['新网格名称', 'New grid name'],
  undo: ['撤销', 'Undo'],
  cancel: ['取消', 'Cancel'],
  preview: ['预览影响', 'Preview impact'],
  save: ['保存', 'Save'],
  reason: ['修改原因（必填）', 'Reason (required)'],
  reason_required: ['保存需要填写修改原因。', 'A reason is required to save.'],
  impact: ['影响', 'Impact'],
  households_changing: ['改变网格的户数', 'Households changing grid'],
  buildings_changing: ['改变网格的建筑', 'Buildings changing grid'],
  problems_created: ['新增问题', 'Problems created'],
  problems_solved: ['解决的问题', 'Problems solved'],
  saved: ['已保存', 'Saved'],
  conflict: ['冲突：其他规划员已先保存了修改。您的绘制已保留，可重新加载网格后再试。', 'Conflict: another planner saved first. Your drawing is kept; reload the grid and try again.'],
  forbidden: ['无权限', 'Not allowed'],
  reload_grid: ['重新加载网格', 'Reload grid'],
  steps: ['未保存的步骤', 'Unsaved steps'],
  merge_with: ['合并对象', 'Merge with'],
  new_status: ['新状态', 'New status'],
  // ---- issue 18 part B (webb): defects, keyboard, reroute, measuring
  no_results: ['无结果', 'No results'],
  colon: ['：', ': '],
  area_district: ['区', 'District'],
  area_town: ['街道/镇', 'Street/town'],
  area_community: ['社区/村', 'Community/village'],
  card_area: ['面积', 'Area'],
  card_members: ['组成网格', 'Member grids'],
  card_not_then: ['网格 {id} 在 {date} 不存在，已关闭其信息卡。', 'Grid {id} did not exist on {date}; its card was closed.'],
  today: ['今天', 'today'],
  past_view_no_edit: ['正在查看 {date} 的历史数据，不能编辑。清除“查看日期”后可编辑当前网格。', 'You are viewing {date} (the past): editing is off. Clear the as-of date to edit today’s grids.'],
  staffing_past_note: ['网格员为当前配备，仅统计当日存在的网格。', 'Workers are today’s, counted for the grids that existed on the date.'],
  token_refused: ['令牌无效（服务未识别该令牌），未保存。', 'The service does not know this token: not kept.'],
  token_unchecked: ['无法验证令牌（服务无响应），未保存。', 'The token could not be checked (no answer): not kept.'],
  token_dropped: ['已保存的令牌无效或已撤销，已清除；现以匿名方式浏览。', 'The stored token is unknown or revoked: it was dropped and the map is read anonymously.'],
  sev_error: ['错误', 'error'],
  sev_warning: ['警告', 'warning'],
  sev_info: ['提示', 'info'],
  tool_reroute: ['沿线调整边界', 'Reroute boundary'],
  hint_reroute: ['先点击相邻网格，再沿新边界点击（从共用边界一端到另一端），然后点“预览”。', 'Click the neighbouring grid, then click the new boundary from one end of the shared boundary to the other, then Preview.'],
  reroute_with: ['相邻网格', 'Neighbour'],
  vertices_moved: ['已移动的顶点', 'Vertices moved'],
  keys_hint: ['（Esc 取消，Ctrl+Z 撤销）', '(Esc cancels, Ctrl+Z undoes)'],
  split_pieces: ['拆分后的网格', 'The pieces'],
  split_names_note: ['新网格名称由系统生成；接口暂不支持在拆分时命名。', 'The pieces are named by the service; the API cannot name them yet.'],
  households_unit: ['户', 'households'],
  buildings_unit: ['栋建筑', 'buildings'],
  change_created: ['新建', 'Created'],
  change_updated: ['更新', 'Updated'],
  change_retired: ['撤销', 'Retired'],
  err_edit_refused: ['修改被拒绝', 'Edit refused'],
  err_bad_input: ['输入有误', 'Bad input'],
  err_outside_area: ['超出您的编辑区域', 'Outside your areas'],
  err_not_found: ['未找到', 'Not found'],
  err_unauthorized: ['令牌无效', 'Not authenticated'],
  err_stale: ['网格已被他人修改', 'Changed by someone else'],
  err_conflict: ['修改冲突', 'Conflicting change'],
  refusal_marked: ['问题位置已在地图上以红圈标出（{n} 处）。', 'The places are circled in red on the map ({n}).'],
  moves_saved_before: ['此前的 {n} 个顶点移动已保存。', 'The {n} vertex move(s) before it were saved.'],
  measure_distance: ['测距', 'Distance'],
  measure_area: ['测面积', 'Area'],
  measure_hint: ['点击地图添加点；Esc 结束，Ctrl+Z 撤销一点。', 'Click the map to add points; Esc ends, Ctrl+Z removes a point.'],
  validation_in_area: ['校验（当前区域）', 'Validation (area in view)'],
  basemap_note: ['底图：本系统矢量图层', 'Basemap: the service’s own layers'],
  editable_area: ['可编辑范围', 'Editable area'],
  editable_everywhere: ['可编辑全部区域', 'May edit everywhere'],
  editable_none: ['此令牌不能编辑', 'This token may not edit'],
};

const listeners = new Set();
let lang = new URLSearchParams(location.search).get('lang') === 'en' ? 'en' : 'zh';

export function t(key) {
  const row = TABLE[key];
  if (!row) return key;
  return lang === 'en' ? row[1] : row[0];
}

export function language() {
  return lang;
}

export function setLanguage(l) {
  lang = l === 'en' ? 'en' : 'zh';
  document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
  applyStatic();
  for (const f of listeners) f(lang);
}

/** Calls f after every language switch (panels re-render themselves). */
export function onLanguage(f) {
  listeners.add(f);
}

/** Fills the elements of index.html marked with data-i18n / data-i18n-placeholder. */
export function applyStatic() {
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  const toggle = document.getElementById('lang-toggle');
  if (toggle) toggle.textContent = lang === 'en' ? '中文' : 'English';
}
