// csat dashboard: plain JavaScript over the /api/v1 JSON API (see /api/v1/openapi.json).
// State lives in the URL hash, so a view can be bookmarked and shared. The canonical form is
//   #/branch/GD-GZ?month=2026-10&metric=item:network&cmp=csi&period=2026-Q3&lang=zh
// (branch in the path; month, the trend's metric, the comparison's metric, the scorecard period
// and the language as parameters, all optional). The older #branch=GD-GZ&month=… and the query
// string /?branch=GD-GZ&metric=…&month=… are accepted too. An unknown branch or a bad month in
// a link is said so on the page, never silently replaced. The token (when the server asks for
// one) is kept in sessionStorage.
(function () {
  'use strict';

  // ---- i18n ---------------------------------------------------------------------------------
  const I18N = {
    en: {
      title: 'Customer satisfaction', branch: 'Branch', month: 'Month', token: 'Token',
      kpiCard: 'KPI card', itemsTitle: 'Survey items (own carrier vs. best competitor)', trend: 'Trend',
      compare: 'Branch comparison', alerts: 'Alerts', scorecard: 'Scorecard',
      bandNote: 'Shaded: 95% margin of error. Hollow grey points: too few responses to report.',
      tokenTitle: 'API token', tokenHelp: 'This server requires a token. Ask your administrator for one (csat token new).',
      cancel: 'Cancel', ok: 'OK', drill: '— drill down —', noChildren: '(no sub-branches)',
      n: 'n', responses: 'responses', unreportable: 'too few responses', vs: 'vs.', significant: 'significant',
      notSignificant: 'within noise', bestCompetitor: 'best competitor', shortPlanks: 'Short planks',
      improvement: 'improvement', hotline: 'Hotline', store: 'Store', fcr: 'first-contact resolution',
      sl20: 'answered ≤ 20 s', avgWait: 'avg wait', complaints: 'Complaints', per10k: 'per 10k subscribers',
      escalated: 'escalated', per1m: 'per 1M', sla: 'within SLA', churn: 'Churn', highValue: 'high-value',
      retention: 'retention (mid/high)', subscribers: 'subscribers', item: 'Item', own: 'Own', competitor: 'Best competitor',
      lead: 'Lead', rank: 'Rank', value: 'Value', change: 'Change', previous: 'vs. last month',
      childrenOf: 'Sub-branches of', noAlerts: 'No alerts for this month.', alertsOf: 'Subtree of',
      component: 'Component', target: 'Floor / base / challenge', points: 'Points', missing: 'missing', total: 'Total',
      months: 'Months', drop: 'drop', streak: 'months falling', base: 'base', was: 'was',
      forbidden: 'This token may not read that branch.', error: 'Request failed', noData: 'No data',
      rule_decline_streak: 'Decline streak', rule_below_base: 'Misses base target', rule_lead_lost: 'Lead lost',
      sev_significant: 'significant', sev_watch: 'watch (may be noise)', quarter: 'quarter', alertCount: 'alerts',
      rule_drift: 'Slow drift', baseline: 'baseline', driversTitle: 'Key drivers',
      driversNote: 'Importance for the overall score against own performance; red: priorities (important and behind the best competitor).',
      importance: 'importance', performance: 'performance', gap: 'gap to best', priorities: 'priorities', pooled: 'importance from',
      funnel: 'Funnel plot', funnelNote: "Each sub-branch's rate against its subscriber base; lines: 95% and 99.8% control limits, widened for over-dispersion. Red: outliers.",
      funnelTarget: 'overall', outlier: 'outlier', limits95: '95% limits', limits998: '99.8% limits',
      above: 'above', below: 'below', lowerBetter: 'lower is better', baseMissed: 'misses the base target',
      unknownBranch: 'Unknown branch “{0}”: no data names it. Pick a branch from the list or go to', badMonth: '“{0}” is not a month: want YYYY-MM. Showing nothing until a month is chosen.',
      noDataMonth: 'No data for {0} in {1}.', latestData: 'Latest month with data: {0}', goAll: 'All',
      futureMonth: '{0} has not ended yet: its figures are incomplete.',
      qWords: 'chance this is noise', sev_watch_long: 'watch — could still be noise', sev_significant_long: 'significant — unlikely to be noise',
      allRules: 'all rules', allSeverities: 'all severities', allMetrics: 'all metrics', allAges: 'new and continuing',
      isNew: 'new this month', continuing: 'continuing', filtered: 'shown', toDate: 'to date',
      partialNote: 'Period to date: points over {0}; the months still to come are not scored.',
      smoothed: 'smoothed', smoothedNote: 'Dashed: smoothed estimate (borrows strength from the parent).',
      download: 'Download', league: 'League table of the sub-branches', higherBetter: 'higher is better', better: 'better', worse: 'worse',
      channelGap: 'channel gap', storeSpread: 'store spread', stores: 'stores', plankScore: 'plank score',
      frontline: 'Front line', flUnits: 'Units', flRankBy: 'Ranked by',
      flNote: 'Dots: 95% interval. Hollow grey diamond: too few ratings, placed and ranked by its smoothed value (dashed: its own interval).',
      flTrendNote: 'Shaded: 95% margin of error. Hollow grey points: too few ratings to report. Dashed: smoothed toward the parent.',
      flScore: 'Score breakdown', kind_store: 'Stores', kind_agent: 'Hotline agents', kind_manager: 'Customer managers', kind_staff: 'Clerks',
      one_store: 'Store', one_staff: 'Clerk', one_agent: 'Agent', one_manager: 'Customer manager',
      flOf: '{0} of {1} · {2}', flStaffOf: 'Clerks of store {0}', flFlagSmoothed: 'too few ratings: ranked by its smoothed value',
      flPickCity: 'Choose a city or a county to rank its stores, agents and customer managers.', flFew: 'too few ratings', flNotRanked: 'too few ratings: not ranked', flNoValue: 'no value: not ranked', unit: 'Unit', flNone: 'No units in this period. (Front-line data are projected only where CSAT_FRONTLINE is on.)', ratings: 'ratings', rankedBy: 'ranked by',
      flTopBottom: 'The chart shows the best {0} and the worst {0} of {1}; the table lists all.',
      weight: 'weight', adjustment: 'Adjustment', adjustedTotal: 'Total with adjustments', weightedTotal: 'Weighted total',
      noScore: 'No scheme scores this unit.', scheme: 'Scheme', flagged: 'flagged', warnings: 'Warnings',
      part_team: 'Team part', part_personal: 'Personal part', role_shift_leader: 'shift leader', role_clerk: 'clerk',
      role_store: 'store team', role_duty_manager: 'shift leader', storeScore: 'Store team score', role_agent: 'agent', role_manager: 'customer manager', province: 'province', city: 'city',
      inspection: 'Inspection (patrol / mystery)',
    },
    zh: {
      title: '客户满意度', branch: '单位', month: '月份', token: '令牌',
      kpiCard: '关键指标', itemsTitle: '测评分项（本网 vs. 最强竞争对手）', trend: '趋势',
      compare: '单位对比', alerts: '预警', scorecard: '考核得分',
      bandNote: '阴影：95% 误差范围。空心灰点：样本不足，不可报告。',
      tokenTitle: 'API 令牌', tokenHelp: '此服务需要令牌，请向管理员申请（csat token new）。',
      cancel: '取消', ok: '确定', drill: '— 下钻 —', noChildren: '（无下级单位）',
      n: '样本', responses: '样本', unreportable: '样本不足', vs: '对比', significant: '显著',
      notSignificant: '在误差内', bestCompetitor: '最强竞争对手', shortPlanks: '短板',
      improvement: '改善', hotline: '10086热线', store: '营业厅', fcr: '一次解决率',
      sl20: '20秒接通率', avgWait: '平均等待', complaints: '投诉', per10k: '万投比',
      escalated: '越级投诉', per1m: '每百万', sla: '按时处理率', churn: '离网', highValue: '高端离网率',
      retention: '中高端保有率', subscribers: '客户数', item: '分项', own: '本网', competitor: '最强竞争对手',
      lead: '领先程度', rank: '排名', value: '数值', change: '环比', previous: '较上月',
      childrenOf: '下级单位：', noAlerts: '本月无预警。', alertsOf: '范围：',
      component: '考核项', target: '保底 / 基本 / 挑战', points: '得分', missing: '缺失', total: '合计',
      months: '月份', drop: '降幅', streak: '个月连降', base: '基本目标', was: '上月',
      forbidden: '此令牌无权查看该单位。', error: '请求失败', noData: '无数据',
      rule_decline_streak: '连续下降', rule_below_base: '未达基本目标', rule_lead_lost: '失去领先',
      sev_significant: '显著', sev_watch: '关注（或为波动）', quarter: '季度', alertCount: '条预警',
      rule_drift: '缓慢下滑', baseline: '基线', driversTitle: '关键驱动因素',
      driversNote: '横轴：本网得分；纵轴：对总体满意度的重要性；红色：优先改进项（重要且落后于最强竞争对手）。',
      importance: '重要性', performance: '得分', gap: '与最强差距', priorities: '优先改进', pooled: '重要性来源',
      funnel: '漏斗图', funnelNote: '各下级单位的比率与客户规模；线：95% 与 99.8% 控制限（已校正过度离散）。红色：异常值。',
      funnelTarget: '总体', outlier: '异常', limits95: '95% 控制限', limits998: '99.8% 控制限',
      above: '高于', below: '低于', lowerBetter: '越低越好', baseMissed: '未达基本目标',
      unknownBranch: '未知单位“{0}”：没有任何数据属于该单位。请从列表中选择单位，或前往', badMonth: '“{0}”不是有效月份（应为 YYYY-MM）。请选择月份。',
      noDataMonth: '{0} 在 {1} 没有数据。', latestData: '最近有数据的月份：{0}', goAll: '全公司',
      futureMonth: '{0} 尚未结束，数据不完整。',
      qWords: '误报概率', sev_watch_long: '关注——可能只是随机波动', sev_significant_long: '显著——不太可能是随机波动',
      allRules: '全部规则', allSeverities: '全部级别', allMetrics: '全部指标', allAges: '新增与持续',
      isNew: '本月新增', continuing: '持续', filtered: '显示', toDate: '截至',
      partialNote: '考核期未结束：按 {0} 计分，尚未到来的月份不计分。',
      smoothed: '平滑值', smoothedNote: '虚线：平滑估计（借用上级单位的信息）。',
      download: '下载', league: '下级单位排名', higherBetter: '越高越好', better: '改善', worse: '恶化',
      channelGap: '渠道差距', storeSpread: '营业厅离散度', stores: '家营业厅', plankScore: '短板得分',
      frontline: '前台', flUnits: '对象', flRankBy: '排名指标',
      flNote: '点：95% 置信区间。空心灰色菱形：评价数不足，按平滑值定位和排名（虚线：其自身区间）。',
      flTrendNote: '阴影：95% 误差范围。空心灰点：评价数不足，不可报告。虚线：向上级平滑的估计。',
      flScore: '得分明细', kind_store: '营业厅', kind_agent: '热线坐席', kind_manager: '客户经理', kind_staff: '营业员',
      one_store: '营业厅', one_staff: '营业员', one_agent: '坐席', one_manager: '客户经理',
      flOf: '{1}的{0} · {2}', flStaffOf: '营业厅 {0} 的营业员', flFlagSmoothed: '评价数不足：按平滑值排名',
      flPickCity: '请选择一个地市或区县，查看其营业厅、坐席和客户经理排名。', flFew: '评价数不足', flNotRanked: '评价数不足：不参与排名', flNoValue: '无数据：不参与排名', unit: '对象', flNone: '本期无数据。（仅在开启 CSAT_FRONTLINE 时计算前台数据。）', ratings: '评价数', rankedBy: '排名依据',
      flTopBottom: '图中显示 {1} 个中最好的 {0} 个和最差的 {0} 个；表格列出全部。',
      weight: '权重', adjustment: '加减分', adjustedTotal: '加减分后总分', weightedTotal: '加权总分',
      noScore: '没有适用于该对象的考核方案。', scheme: '考核方案', flagged: '已标记', warnings: '提示',
      part_team: '团队绩效', part_personal: '个人绩效', role_shift_leader: '值班长', role_clerk: '营业员',
      role_store: '营业厅团队', role_duty_manager: '值班长', storeScore: '营业厅团队绩效得分', role_agent: '坐席', role_manager: '客户经理', province: '省公司', city: '市公司',
      inspection: '巡检 / 暗访',
    },
  };
  const METRICS = {
    csi: ['Composite satisfaction (CSI)', '综合满意度'], overall: ['Overall satisfaction', '总体满意度'],
    lead: ['Lead over competitors', '领先程度'], spi: ['Short-plank index', '短板指数'],
    short_plank_improvement: ['Short-plank improvement', '短板改善'],
    window_satisfaction: ['Window service satisfaction', '窗口服务满意度'],
    hotline_satisfaction: ['Hotline satisfaction', '热线满意度'], store_satisfaction: ['Store satisfaction', '营业厅满意度'],
    complaint_rate: ['Complaints per 10k', '万投比'], escalated_rate: ['Escalated per 1M', '越级投诉率'],
    complaint_sla_rate: ['Complaints within SLA', '投诉按时处理率'], churn_rate: ['Churn rate', '离网率'],
    high_value_churn_rate: ['High-value churn', '高端客户离网率'], retention_rate: ['Mid/high retention', '中高端保有率'],
    score: ['Score', '考核得分'],
    fcr: ['Hotline first-contact resolution', '热线一次解决率'], sl20: ['Hotline answered ≤ 20 s', '20秒接通率'],
    hotline_avg_wait: ['Hotline wait (s)', '热线平均等待（秒）'], avg_handle: ['Hotline handling time (s)', '热线平均处理时长（秒）'],
    store_avg_wait: ['Store wait (s)', '营业厅平均等待（秒）'], enterprise_csi: ['Enterprise CSI', '集团客户满意度'],
    enterprise_lead: ['Enterprise lead', '集团客户领先程度'], channel_gap: ['Channel gap', '渠道差距'],
    store_spread: ['Store spread', '营业厅离散度'], consistency: ['Service consistency', '服务一致性'],
  };
  const ITEMS = {
    network: ['Network quality', '网络质量'], voice: ['Voice quality', '通话质量'], data: ['Mobile data', '移动上网'],
    tariff: ['Tariffs', '资费套餐'], billing: ['Billing accuracy', '计费准确'], store: ['Store service', '营业厅服务'],
    hotline: ['10086 hotline', '10086热线'], online: ['Online / app', '网上/掌上营业厅'], brand: ['Brand', '品牌形象'],
    complaint: ['Complaint handling', '投诉处理'],
  };
  // Front-line metrics (SPEC §5.2) and the seed's scheme components (score:<component>).
  const FL_NAMES = {
    satisfaction: ['Satisfaction (% rating 4–5)', '满意率（4–5分）'], net_score: ['Net score (satisfied − dissatisfied)', '满意净得分（满意−不满意）'],
    avg_wait: ['Average wait (s)', '平均等待（秒）'], complaints: ['Complaints', '投诉件数'],
    'inspection.province': ['Province inspection', '省公司组巡/暗访'], 'inspection.city': ['City inspection', '市公司组巡/暗访'],
    fcr: ['Problem resolution (FCR)', '问题解决率'], sl20: ['Answered ≤ 20 s', '20秒接通率'], avg_handle: ['Handling time (s)', '平均处理时长（秒）'],
    csi: ['Enterprise CSI', '集团客户满意度'], churned: ['Churned accounts', '离网客户数'], total: ['Score total', '考核总分'],
    service: ['Service', '服务'], sales: ['Sales', '销售'], internal: ['Internal management', '内部管理'], internal_management: ['Internal management', '内部管理'],
    control: ['Internal control', '内控'], internal_control: ['Internal control', '内控'], operations: ['Operations', '运营'],
    exam: ['Exams', '考试'], exams: ['Exams', '考试'], safety: ['Safety', '安全'], attendance: ['Attendance', '考勤'], reports: ['Reports', '报表'],
    rating: ['Rating system', '评价系统'], renewal: ['Renewal', '续约'],
  };
  const CARRIERS = { cmcc: ['China Mobile', '中国移动'], ctcc: ['China Telecom', '中国电信'], cucc: ['China Unicom', '中国联通'] };

  // POLARITY is the server's polarity table (/api/v1/metrics): metric kind → 'higher' or 'lower'
  // is better. Arrows, colours and alert wording take the direction from it, nowhere else.
  let POLARITY = {};
  const lowerBetter = (m) => POLARITY[String(m || '').split(':')[0]] === 'lower';
  const fill = (s, ...a) => s.replace(/\{(\d)\}/g, (_, i) => a[Number(i)]);

  const state = { branch: null, month: null, metric: 'csi', cmpMetric: 'csi', period: null, lang: null, branches: [], byId: {}, scope: 'ALL' };
  const charts = {};
  window.csatCharts = charts; // for tests and the curious

  const $ = (id) => document.getElementById(id);
  const t = (k) => (I18N[state.lang] && I18N[state.lang][k]) || I18N.en[k] || k;
  const li = () => (state.lang === 'zh' ? 1 : 0);
  function metricName(m) {
    if (!m) return '';
    const [kind, code] = m.split(':');
    if (kind === 'item') return itemName(code);
    if (kind === 'item_lead') return itemName(code) + (state.lang === 'zh' ? ' 领先' : ' lead');
    return METRICS[kind] ? METRICS[kind][li()] : m;
  }
  const shortName = (id) => (state.byId[id] && state.byId[id].name) || id;
  const itemName = (c) => (ITEMS[c] ? ITEMS[c][li()] : c);
  const carrierName = (c) => (CARRIERS[c] ? CARRIERS[c][li()] : c || '—');
  function branchName(id) {
    const b = state.byId[id];
    if (id === 'ALL') return state.lang === 'zh' ? '全公司' : 'All';
    return b && b.name ? b.name + ' · ' + id : id;
  }

  // ---- formatting -----------------------------------------------------------------------------
  const isNum = (v) => typeof v === 'number' && isFinite(v);
  function fmt(v, digits) {
    if (!isNum(v)) return '—';
    if (Math.abs(v) < 0.5 * Math.pow(10, -digits)) v = 0; // never "-0.0"
    return v.toLocaleString(state.lang === 'zh' ? 'zh-CN' : 'en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }
  const fmtInt = (v) => (isNum(v) ? Math.round(v).toLocaleString(state.lang === 'zh' ? 'zh-CN' : 'en-US') : '—');
  // signed writes +1.2, −1.2 or 0.0: a value that rounds to zero has no sign.
  function signed(v, d) {
    if (!isNum(v)) return '—';
    const zero = Math.abs(v) < 0.5 * Math.pow(10, -d);
    return (zero ? '' : v > 0 ? '+' : '−') + fmt(Math.abs(v), d);
  }
  // change renders a month-on-month change of metric: the arrow follows the sign, the colour
  // follows the metric's polarity (a rising complaint rate is a red ▲).
  function changeCell(ch, metric, d) {
    if (!isNum(ch)) return { cls: '', text: '—' };
    if (Math.abs(ch) < 0.5 * Math.pow(10, -d)) return { cls: '', text: signed(0, d) };
    const good = lowerBetter(metric) ? ch < 0 : ch > 0;
    return { cls: good ? 'up' : 'down', text: (ch > 0 ? '▲ ' : '▼ ') + signed(ch, d), good };
  }
  function digitsFor(metric) {
    if (/rate|per/.test(metric) && !/retention|sla/.test(metric)) return 2;
    return 1;
  }
  window.csatFormat = { fmt: (v, d) => fmt(v, d), signed: (v, d) => signed(v, d) }; // for tests
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v);
    }
    for (const kid of kids.flat()) if (kid != null) e.append(kid.nodeType ? kid : String(kid));
    return e;
  }

  // ---- API ------------------------------------------------------------------------------------
  class HTTPError extends Error {
    constructor(status, body) { super((body && body.error) || 'HTTP ' + status); this.status = status; this.body = body; }
  }
  let tokenPrompt = null;
  async function api(path, params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) if (v != null && v !== '') q.set(k, v);
    const url = '/api/v1/' + path + (q.toString() ? '?' + q : '');
    for (;;) {
      const headers = { Accept: 'application/json' };
      const tok = sessionStorage.getItem('csat.token');
      if (tok) headers.Authorization = 'Bearer ' + tok;
      const resp = await fetch(url, { headers });
      let body = null;
      try { body = await resp.json(); } catch (e) { /* not JSON */ }
      if (resp.status === 401) {
        if (await askToken()) continue; // the user gave a token: retry
        throw new HTTPError(401, body);
      }
      if (!resp.ok) throw new HTTPError(resp.status, body);
      return body;
    }
  }
  function askToken() {
    if (!tokenPrompt) {
      tokenPrompt = new Promise((resolve) => {
        const dlg = $('token-dialog');
        $('token-input').value = '';
        dlg.addEventListener('close', function onClose() {
          dlg.removeEventListener('close', onClose);
          const v = $('token-input').value.trim();
          const given = dlg.returnValue === 'ok' && v !== '';
          if (given) sessionStorage.setItem('csat.token', v);
          tokenPrompt = null;
          resolve(given);
        });
        dlg.showModal();
      });
    }
    return tokenPrompt;
  }

  function showBanner(msg, isError) {
    const b = $('banner');
    if (!msg) { b.hidden = true; return; }
    b.textContent = msg;
    b.className = 'banner' + (isError ? ' error' : '');
    b.hidden = false;
  }
  function failText(err) {
    if (err instanceof HTTPError && err.status === 403) return t('forbidden');
    if (err instanceof HTTPError && err.status === 401) return t('tokenHelp');
    return t('error') + ': ' + err.message;
  }

  // ---- state & URL ----------------------------------------------------------------------------
  // readURL reads the view from the hash (#/branch/B?…, or #branch=B&…) and the query string
  // (?branch=B&…); the hash wins.
  function readURL() {
    const out = {};
    const take = (p) => { for (const k of ['branch', 'month', 'metric', 'cmp', 'lang', 'period', 'fl', 'flm', 'store', 'unit']) if (p.get(k) != null) out[k] = p.get(k); };
    take(new URLSearchParams(location.search));
    const h = location.hash.slice(1);
    const route = /^\/branch\/([^?]*)(?:\?(.*))?$/.exec(h);
    if (route) {
      out.branch = decodeURIComponent(route[1]);
      take(new URLSearchParams(route[2] || ''));
    } else {
      take(new URLSearchParams(h.replace(/^\/?\??/, '')));
    }
    return out;
  }
  function viewHash(v) {
    const h = new URLSearchParams();
    for (const k of ['month', 'metric', 'cmp', 'period', 'lang', 'fl', 'flm', 'store', 'unit']) if (v[k]) h.set(k, v[k]);
    return '#/branch/' + encodeURIComponent(v.branch) + '?' + h.toString().replace(/%3A/g, ':');
  }
  function writeHash() {
    history.replaceState(null, '', location.pathname + viewHash(flView({})));
  }
  function defaultMonth() {
    const d = new Date();
    d.setDate(1);
    d.setMonth(d.getMonth() - 1); // a month's survey wave is complete after it ends
    return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0');
  }
  function addMonths(m, n) {
    const [y, mo] = m.split('-').map(Number);
    const i = y * 12 + mo - 1 + n;
    return Math.floor(i / 12) + '-' + String((i % 12) + 1).padStart(2, '0');
  }
  const quarterOf = (m) => m.slice(0, 4) + '-Q' + Math.ceil(Number(m.slice(5)) / 3);
  const children = (id) => state.branches.filter((b) => b.parent === id && b.id !== id);

  // ---- static labels --------------------------------------------------------------------------
  function applyLang() {
    document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
    document.title = 'csat · ' + t('title');
    document.querySelectorAll('[data-i18n]').forEach((e) => { e.textContent = t(e.dataset.i18n); });
    $('lang-toggle').textContent = state.lang === 'zh' ? 'English' : '中文';
    fillMetricSelect($('trend-metric'), state.metric, true);
    fillMetricSelect($('compare-metric'), state.cmpMetric);
  }
  // fillMetricSelect lists the metrics, the survey items among them; a metric from a link that
  // is not in the list (item_lead:…, score) is added so the select shows what is drawn.
  function fillMetricSelect(sel, value) {
    const names = ['csi', 'overall', 'lead', 'spi', 'window_satisfaction', 'hotline_satisfaction', 'store_satisfaction',
      'complaint_rate', 'escalated_rate', 'complaint_sla_rate', 'churn_rate', 'high_value_churn_rate', 'retention_rate',
      'fcr', 'sl20', 'hotline_avg_wait', 'store_avg_wait', 'enterprise_csi', 'channel_gap', 'consistency'];
    for (const c of Object.keys(ITEMS)) names.push('item:' + c);
    if (value && !names.includes(value)) names.push(value);
    const label = (m) => metricName(m) + (lowerBetter(m) ? ' ↓' : '');
    sel.replaceChildren(...names.map((m) => el('option', { value: m, selected: m === value, title: lowerBetter(m) ? t('lowerBetter') : null }, label(m))));
  }

  // ---- branch picker --------------------------------------------------------------------------
  function renderPicker() {
    const crumbs = $('crumbs');
    const path = [];
    for (let id = state.branch; id; id = id === 'ALL' ? null : parentOf(id)) {
      path.unshift(id);
      if (id === state.scope) break;
    }
    crumbs.replaceChildren();
    path.forEach((id, i) => {
      if (i > 0) crumbs.append(el('span', { class: 'sep' }, '›'));
      if (i === path.length - 1) crumbs.append(el('span', { class: 'current' }, branchName(id)));
      else crumbs.append(el('a', { onclick: () => go({ branch: id }) }, branchName(id)));
    });
    const kids = children(state.branch);
    const sel = $('child-select');
    sel.replaceChildren(el('option', { value: '' }, kids.length ? t('drill') : t('noChildren')),
      ...kids.map((b) => el('option', { value: b.id }, branchName(b.id))));
    sel.disabled = kids.length === 0;
  }
  function parentOf(id) {
    if (state.byId[id] && state.byId[id].parent) return state.byId[id].parent;
    const i = id.lastIndexOf('-');
    return i < 0 ? 'ALL' : id.slice(0, i);
  }

  // ---- KPI card -------------------------------------------------------------------------------
  function tile(label, value, opts) {
    opts = opts || {};
    return el('div', { class: 'tile' + (opts.unreportable ? ' unreportable' : ''), 'data-kpi': opts.key, title: opts.unreportable ? t('unreportable') : null },
      el('div', { class: 'label' }, label),
      el('div', null, el('span', { class: 'value' }, value), opts.moe ? el('span', { class: 'moe' }, opts.moe) : null),
      opts.sub ? el('div', { class: 'sub' }, ...[].concat(opts.sub)) : null);
  }
  function valueTile(key, label, v) {
    v = v || {};
    const ok = v.reportable !== false && isNum(v.value);
    return tile(label, fmt(v.value, 1), {
      key, unreportable: !ok, moe: isNum(v.moe95) ? '± ' + fmt(v.moe95, 1) : null,
      sub: [t('n') + ' ' + fmtInt(v.n), ok ? null : el('span', { class: 'tag' }, t('unreportable')), smoothedText(v)],
    });
  }
  // smoothedText shows the smoothed estimate of a city's or county's survey value (the value to
  // read when its own sample is small), or null; nothing when it reads the same as the direct
  // value of a reportable one.
  function smoothedText(v) {
    const sm = v && v.smoothed;
    if (!sm || !isNum(sm.value)) return null;
    if (v.reportable !== false && fmt(sm.value, 1) === fmt(v.value, 1) && fmt(sm.moe95, 1) === fmt(v.moe95, 1)) return null;
    return el('span', { class: 'smoothed' }, ' · ' + t('smoothed') + ' ' + fmt(sm.value, 1) + (isNum(sm.moe95) ? ' ± ' + fmt(sm.moe95, 1) : ''));
  }
  // consistencyTile is one service across channels (服务一致性): 100 − the gap between the
  // channel items' scores, with the gap and the spread of the stores' satisfaction.
  function consistencyTile(cs) {
    cs = cs || {};
    return tile(metricName('consistency'), fmt(cs.consistency, 1), {
      key: 'consistency', unreportable: !isNum(cs.consistency),
      sub: [t('channelGap') + ' ' + fmt(cs.channel_gap, 1) + ' (' + ((cs.channels || []).map(itemName).join(' · ') || '—') + ')',
        el('br'), t('storeSpread') + ' ' + fmt(cs.store_spread, 1) + ' · ' + fmtInt(cs.stores) + ' ' + t('stores')],
    });
  }
  // enterpriseTile is the CSI of the enterprise interviews (集团客户) and its lead.
  function enterpriseTile(e) {
    e = e || {};
    const v = e.csi || {}, l = e.lead || {};
    const tl = valueTile('enterprise', metricName('enterprise_csi'), v);
    tl.querySelector('.sub').append(el('br'), metricName('lead') + ' ' + signed(l.value, 1) + (l.best_competitor ? ' ' + t('vs') + ' ' + carrierName(l.best_competitor) : ''));
    return tl;
  }
  function renderCard(c) {
    const s = c.survey || {}, own = s.own || {}, lead = s.lead || {}, sp = s.short_planks || {};
    const w = c.window || {}, h = w.hotline || {}, st = w.store || {}, cp = c.complaints || {}, ch = c.churn || {};
    $('kpi-sub').textContent = branchName(c.branch) + ' · ' + c.month + (c.base ? ' · ' + fmtInt(c.base.subscribers) + ' ' + t('subscribers') : '');
    const leadTag = isNum(lead.value)
      ? el('span', { class: 'tag ' + (lead.significant ? (lead.value < 0 ? 'neg' : 'sig') : '') }, lead.significant ? t('significant') : t('notSignificant'))
      : null;
    $('tiles').replaceChildren(
      valueTile('csi', metricName('csi'), own.csi),
      valueTile('overall', metricName('overall'), own.overall),
      tile(metricName('lead'), signed(lead.value, 1), {
        key: 'lead', unreportable: !isNum(lead.value), moe: isNum(lead.moe95) ? '± ' + fmt(lead.moe95, 1) : null,
        sub: [t('vs') + ' ' + carrierName(lead.best_competitor), leadTag],
      }),
      tile(t('shortPlanks'), fmt(sp.index, 1), {
        key: 'spi', unreportable: !isNum(sp.index),
        // With a catalog of areas each plank shows its composite plank score (area with its key
        // sub-items).
        sub: [(sp.absolute || []).map((code) => itemName(code) + (sp.scores && isNum(sp.scores[code]) ? ' ' + fmt(sp.scores[code], 1) : '')).join(' · ') || '—',
          el('br'), t('improvement') + ' ' + signed(sp.improvement, 1)],
      }),
      consistencyTile(c.consistency),
      enterpriseTile(s.enterprise),
      tile(metricName('window_satisfaction'), fmt(w.satisfaction, 1) + '%', {
        key: 'window', unreportable: !isNum(w.satisfaction),
        sub: t('hotline') + ' ' + fmt(h.satisfaction, 1) + '% · ' + t('store') + ' ' + fmt(st.satisfaction, 1) + '%',
      }),
      tile(t('hotline') + ' · ' + t('fcr'), fmt(h.fcr, 1) + '%', {
        key: 'hotline', unreportable: !isNum(h.fcr),
        sub: t('sl20') + ' ' + fmt(h.sl20, 1) + '% · ' + t('avgWait') + ' ' + fmt(h.avg_wait, 0) + ' s · ' + t('n') + ' ' + fmtInt(h.n),
      }),
      tile(t('complaints'), fmt(cp.rate_per_10k, 2), {
        key: 'complaints', unreportable: !isNum(cp.rate_per_10k),
        sub: t('per10k') + ' · ' + fmtInt(cp.opened) + ' · ' + t('escalated') + ' ' + fmtInt(cp.escalated) + ' (' + fmt(cp.escalated_per_1m, 1) + ' ' + t('per1m') + ') · ' + t('sla') + ' ' + fmt(cp.sla_rate, 1) + '%',
      }),
      tile(t('churn'), fmt(ch.rate, 2) + '%', {
        key: 'churn', unreportable: !isNum(ch.rate),
        sub: t('highValue') + ' ' + fmt(ch.high_value_rate, 2) + '% · ' + t('retention') + ' ' + fmt(ch.retention_rate, 1) + '%',
      }),
    );
    // Items: own score ± margin, n, best competitor's, the lead; short planks in red.
    const planks = new Set(sp.absolute || []);
    const codes = Object.keys(own.items || {});
    const catalogOrder = Object.keys(ITEMS);
    codes.sort((a, b) => ((catalogOrder.indexOf(a) + 1 || 99) - (catalogOrder.indexOf(b) + 1 || 99)) || a.localeCompare(b));
    const rows = codes.map((code) => {
      const v = own.items[code] || {}, l = (s.item_leads || {})[code] || {};
      const best = l.best_competitor && s.competitors && s.competitors[l.best_competitor] ? (s.competitors[l.best_competitor].items || {})[code] : null;
      return el('tr', { class: v.reportable === false ? 'unreportable' : null },
        el('td', { class: planks.has(code) ? 'plank' : null }, itemName(code)),
        el('td', { class: 'num' }, fmt(v.value, 1) + (isNum(v.moe95) ? ' ± ' + fmt(v.moe95, 1) : ''), smoothedText(v)),
        el('td', { class: 'num' }, fmtInt(v.n)),
        el('td', null, l.best_competitor ? carrierName(l.best_competitor) + ' ' + fmt(best && best.value, 1) : '—'),
        el('td', { class: 'num ' + (isNum(l.value) ? (l.value >= 0 ? 'up' : 'down') : '') }, signed(l.value, 1) + (l.significant ? ' *' : '')));
    });
    $('items-table').replaceChildren(
      el('thead', null, el('tr', null, el('th', null, t('item')), el('th', { class: 'num' }, t('own')), el('th', { class: 'num' }, t('n')),
        el('th', null, t('competitor')), el('th', { class: 'num' }, t('lead')))),
      el('tbody', null, rows));
  }

  // ---- key drivers: importance–performance quadrant --------------------------------------------
  function renderDrivers(dr) {
    const box = $('drivers-box');
    if (!dr || !dr.items) { box.hidden = true; return; }
    box.hidden = false;
    const prio = new Set(dr.priorities || []);
    const pts = Object.entries(dr.items)
      .filter(([, v]) => isNum(v.importance) && isNum(v.performance))
      .map(([code, v]) => ({ code, x: v.performance, y: 100 * v.importance, gap: v.gap, prio: prio.has(code) }));
    $('drivers-sub').textContent = t('pooled') + ' ' + branchName(dr.branch) + ' · ' + dr.from + '–' + dr.to + ' · ' + t('n') + ' ' + fmtInt(dr.n) +
      (isNum(dr.r2) ? ' · R² ' + fmt(dr.r2, 2) : '') + ((dr.priorities || []).length ? ' · ' + t('priorities') + ': ' + dr.priorities.map(itemName).join(' · ') : '');
    const mean = (a) => (a.length ? a.reduce((s, v) => s + v, 0) / a.length : 0);
    const mx = mean(pts.map((p) => p.x)), my = mean(pts.map((p) => p.y));
    chart('drivers').setOption({
      animation: false,
      grid: { left: 48, right: 24, top: 16, bottom: 36 },
      tooltip: { formatter: (p) => { const d = pts[p.dataIndex]; return itemName(d.code) + '<br>' + t('importance') + ' ' + fmt(d.y, 1) + '%<br>' + t('performance') + ' ' + fmt(d.x, 1) + '<br>' + t('gap') + ' ' + signed(d.gap, 1); } },
      xAxis: { type: 'value', scale: true, name: t('performance'), nameLocation: 'middle', nameGap: 24, axisLabel: { color: '#6b7588' }, splitLine: { show: false } },
      yAxis: { type: 'value', scale: true, name: t('importance') + ' %', axisLabel: { color: '#6b7588' }, splitLine: { show: false } },
      series: [{
        type: 'scatter', symbolSize: 12,
        data: pts.map((p) => ({ value: [p.x, p.y], name: p.code, itemStyle: { color: p.prio ? '#c8372d' : '#0b6bcb' } })),
        label: { show: true, position: 'right', formatter: (p) => itemName(pts[p.dataIndex].code), color: '#1d2533', fontSize: 11 },
        markLine: { silent: true, symbol: 'none', lineStyle: { color: '#a9b0bc', type: 'dashed' }, label: { show: false }, data: [{ xAxis: mx }, { yAxis: my }] },
      }],
    }, true);
  }

  // ---- funnel plot ------------------------------------------------------------------------------
  function renderFunnel(f) {
    const kids = (f.children || []).filter((c) => isNum(c.base) && isNum(c.rate));
    const d = 2;
    $('funnel-sub').textContent = metricName(f.metric) + ' · ' + t('funnelTarget') + ' ' + fmt(f.rate, d) + (isNum(f.phi) ? ' · φ ' + fmt(f.phi, 2) : '');
    const curve = f.curve || [];
    const line = (k, dash, name) => ({ type: 'line', name, silent: true, symbol: 'none', showSymbol: false,
      data: curve.filter((c) => isNum(c[k])).map((c) => [c.base, c[k]]), lineStyle: { color: '#6b7588', width: 1, type: dash } });
    chart('funnel').setOption({
      animation: false,
      grid: { left: 56, right: 24, top: 16, bottom: 36 },
      tooltip: { formatter: (p) => { const c = kids[p.dataIndex]; return c ? branchName(c.branch) + '<br>' + fmt(c.rate, d) + ' · ' + fmtInt(c.count) + ' / ' + fmtInt(c.base) + (c.outlier ? '<br>' + t('outlier') : '') : ''; } },
      xAxis: { type: 'log', name: t('subscribers'), nameLocation: 'middle', nameGap: 24, axisLabel: { color: '#6b7588' }, splitLine: { show: false } },
      yAxis: { type: 'value', scale: true, axisLabel: { color: '#6b7588' }, splitLine: { lineStyle: { color: '#eef1f5' } } },
      series: [
        { type: 'scatter', name: 'children', symbolSize: 10, z: 5,
          data: kids.map((c) => ({ value: [c.base, c.rate], name: c.branch, itemStyle: { color: c.outlier ? '#c8372d' : c.warning ? '#e0a100' : '#0b6bcb' } })),
          // Each point names its branch (the short name where one is known).
          label: { show: true, position: 'right', fontSize: 11, color: '#1d2533', formatter: (p) => shortName(kids[p.dataIndex].branch) },
          labelLayout: { hideOverlap: true },
          markLine: isNum(f.rate) ? { silent: true, symbol: 'none', label: { show: false }, lineStyle: { color: '#1d2533' }, data: [{ yAxis: f.rate }] } : undefined },
        line('lower95', 'dashed', t('limits95')), line('upper95', 'dashed', t('limits95')),
        line('lower998', 'solid', t('limits998')), line('upper998', 'solid', t('limits998')),
      ],
    }, true);
  }

  // ---- trend ----------------------------------------------------------------------------------
  function chart(id) {
    if (!charts[id]) charts[id] = echarts.init($(id + '-chart'), null, { renderer: 'canvas' });
    return charts[id];
  }
  // renderTrend draws the reportable values as the line (a gap where a month is missing or
  // unreportable: such a point is not joined to its neighbours as if it were real), the
  // unreportable values as hollow grey points, and, where given, the smoothed estimates of a
  // city or county as a dashed line with their own points.
  // opts (optional): chart, the chart's id (default trend); name and digits of the metric;
  // bounds, the scale's [min, max] that the axis never passes.
  function renderTrend(tr, smoothed, opts) {
    opts = opts || {};
    const pts = tr.points || tr.values || [];
    const months = pts.map((p) => p.month);
    const real = (p) => isNum(p.value) && p.reportable !== false;
    const val = pts.map((p) => (real(p) ? p.value : null));
    const lo = pts.map((p) => (real(p) && isNum(p.moe95) ? p.value - p.moe95 : null));
    const band = pts.map((p) => (real(p) && isNum(p.moe95) ? 2 * p.moe95 : null));
    const sm = smoothed || [];
    if (!opts.chart) $('trend-note-smoothed').hidden = !sm.some(isNum);
    const d = opts.digits != null ? opts.digits : digitsFor(tr.metric || state.metric);
    const name = opts.name || metricName(tr.metric || state.metric);
    chart(opts.chart || 'trend').setOption({
      animation: false,
      grid: { left: 48, right: 16, top: 28, bottom: 28 },
      tooltip: {
        trigger: 'axis',
        formatter: (ps) => {
          const p = pts[ps[0].dataIndex] || {};
          return p.month + '<br>' + name + ': <b>' + fmt(p.value, d) + '</b>' + (isNum(p.moe95) ? ' ± ' + fmt(p.moe95, d) : '') +
            (p.n != null ? '<br>' + t('n') + ' ' + fmtInt(p.n) : '') + (p.reportable === false ? '<br>' + t('unreportable') : '') +
            (isNum(sm[ps[0].dataIndex]) ? '<br>' + t('smoothed') + ' ' + fmt(sm[ps[0].dataIndex], d) : '');
        },
      },
      xAxis: { type: 'category', data: months, boundaryGap: false, axisLabel: { color: '#6b7588' } },
      yAxis: { type: 'value', scale: true, axisLabel: { color: '#6b7588' }, splitLine: { lineStyle: { color: '#eef1f5' } },
        min: opts.bounds ? (v) => Math.max(opts.bounds[0], Math.floor(v.min - 2)) : null, max: opts.bounds ? (v) => Math.min(opts.bounds[1], Math.ceil(v.max + 2)) : null },
      series: [
        { name: 'lower', type: 'line', data: lo, stack: 'band', symbol: 'none', lineStyle: { opacity: 0 }, silent: true },
        { name: '95%', type: 'line', data: band, stack: 'band', symbol: 'none', lineStyle: { opacity: 0 }, areaStyle: { color: 'rgba(11,107,203,0.14)' }, silent: true },
        {
          name, type: 'line', data: pts.map((p, i) => ({ value: val[i] })),
          symbol: 'circle', symbolSize: 7, lineStyle: { width: 2.5, color: '#0b6bcb' }, itemStyle: { color: '#0b6bcb' }, connectNulls: false,
          markLine: (tr.metric === 'lead' || String(tr.metric).startsWith('item_lead'))
            ? { symbol: 'none', silent: true, data: [{ yAxis: 0 }], lineStyle: { color: '#c8372d', type: 'dashed' }, label: { show: false } } : undefined,
        },
        {
          name: t('unreportable'), type: 'scatter', symbol: 'circle', symbolSize: 7, z: 4,
          data: pts.map((p, i) => (isNum(p.value) && p.reportable === false ? [i, p.value] : null)).filter((x) => x),
          itemStyle: { color: '#fff', borderColor: '#a9b0bc', borderWidth: 1.5 },
        },
        {
          name: t('smoothed'), type: 'line', data: sm.map((v) => (isNum(v) ? v : null)), connectNulls: false,
          symbol: 'diamond', symbolSize: 6, lineStyle: { width: 1.5, type: 'dashed', color: '#7a4fb5' }, itemStyle: { color: '#7a4fb5' },
        },
      ],
    }, true);
  }

  // ---- dots with intervals ----------------------------------------------------------------------
  // dotChart draws rows (top to bottom: {cat, x, lo, hi, grey, hollow, tip}) as dots with their
  // 95% intervals (lo–hi; none when null) and sizes the chart to them. A grey row (too few
  // responses) has a grey dashed interval, a hollow one a hollow grey diamond.
  // bounds (optional): the scale's [min, max] (a percentage's 0–100), which the axis never
  // passes.
  function dotChart(id, rows, name, bounds) {
    const b = bounds || [-Infinity, Infinity];
    const shown = rows.slice().reverse(); // echarts draws the first category at the bottom
    const grey = '#a9b0bc';
    chart(id).setOption({
      animation: false,
      grid: { left: 8, right: 40, top: 8, bottom: 24, containLabel: true },
      tooltip: { trigger: 'item', formatter: (p) => (shown[p.dataIndex] ? shown[p.dataIndex].tip : '') },
      xAxis: { type: 'value', scale: true, axisLabel: { color: '#6b7588' }, splitLine: { lineStyle: { color: '#eef1f5' } },
        min: bounds ? (v) => Math.max(b[0], Math.floor(v.min - 5)) : null, max: bounds ? (v) => Math.min(b[1], Math.ceil(v.max + 5)) : null },
      yAxis: { type: 'category', data: shown.map((r) => r.cat), axisLabel: { color: '#1d2533', rich: { grey: { color: '#8a93a3' } } } },
      series: [
        {
          type: 'custom', name: '95%', silent: true, z: 2,
          data: shown.map((r, i) => [i, isNum(r.lo) ? r.lo : null, isNum(r.hi) ? r.hi : null]),
          renderItem: (params, api) => {
            if (api.value(1) == null || isNaN(api.value(1))) return null;
            const a = api.coord([api.value(1), api.value(0)]), b = api.coord([api.value(2), api.value(0)]);
            const g = shown[params.dataIndex].grey;
            const hh = 5, style = { stroke: g ? grey : '#1d2533', lineWidth: 1.2, lineDash: g ? [3, 3] : null };
            return { type: 'group', children: [
              { type: 'line', shape: { x1: a[0], y1: a[1], x2: b[0], y2: b[1] }, style },
              { type: 'line', shape: { x1: a[0], y1: a[1] - hh, x2: a[0], y2: a[1] + hh }, style },
              { type: 'line', shape: { x1: b[0], y1: b[1] - hh, x2: b[0], y2: b[1] + hh }, style },
            ] };
          },
          encode: { x: [1, 2], y: 0 },
        },
        {
          type: 'scatter', name, symbolSize: 11, z: 5,
          data: shown.map((r, i) => ({ value: [r.x, i], symbol: r.hollow ? 'diamond' : 'circle',
            itemStyle: r.grey || r.hollow ? { color: '#fff', borderColor: grey, borderWidth: 2 } : { color: '#0b6bcb' } })),
        },
      ],
    }, true);
    $(id + '-chart').style.height = (shown.length ? Math.max(160, 34 * shown.length + 40) : 60) + 'px';
    chart(id).resize();
  }

  // ---- compare --------------------------------------------------------------------------------
  // renderCompare draws each child as a dot with its 95% interval. No bars: a bar's length
  // from an axis that does not start at zero misstates ratios (2.76 against 4.41 looked like
  // 1:20), while a dot's position is read against the axis wherever it starts, and dots let
  // overlapping intervals be seen as overlapping.
  function renderCompare(cmp, parent, smoothed) {
    const rows = (cmp.branches || cmp.children || cmp.rows || []).slice();
    const metric = cmp.metric || state.cmpMetric;
    const d = digitsFor(metric);
    $('compare-sub').textContent = t('childrenOf') + ' ' + branchName(parent) + ' · ' + metricName(metric) +
      ' (' + (lowerBetter(metric) ? t('lowerBetter') : t('higherBetter')) + ')';
    // The chart shows the children with a value (the table lists them all).
    const shown = rows.filter((r) => isNum(r.value));
    dotChart('compare', shown.map((r) => ({
      cat: branchName(r.branch || r.id), x: r.value, grey: r.reportable === false,
      lo: isNum(r.moe95) ? r.value - r.moe95 : null, hi: isNum(r.moe95) ? r.value + r.moe95 : null,
      tip: branchName(r.branch || r.id) + '<br>' + fmt(r.value, d) + (isNum(r.moe95) ? ' ± ' + fmt(r.moe95, d) : '') + (r.reportable === false ? '<br>' + t('unreportable') : ''),
    })), metricName(metric));
    if (!rows.length) $('compare-sub').textContent = t('childrenOf') + ' ' + branchName(parent) + ' · ' + t('noChildren');
    $('compare-table').replaceChildren(
      el('thead', null, el('tr', null, el('th', { class: 'num' }, t('rank')), el('th', null, t('branch')),
        el('th', { class: 'num' }, t('value')), smoothed ? el('th', { class: 'num' }, t('smoothed')) : null,
        el('th', { class: 'num' }, t('n')), el('th', { class: 'num' }, t('previous')))),
      el('tbody', null, rows.map((r) => {
        const id = r.branch || r.id;
        const ch = changeCell(r.change, metric, d);
        return el('tr', { class: 'clickable' + (r.reportable === false ? ' unreportable' : ''), 'data-branch': id, onclick: () => go({ branch: id }) },
          el('td', { class: 'num' }, r.rank != null ? r.rank : '—'),
          el('td', null, branchName(id)),
          el('td', { class: 'num' }, fmt(r.value, d) + (isNum(r.moe95) ? ' ± ' + fmt(r.moe95, d) : '')),
          smoothed ? el('td', { class: 'num smoothed' }, fmt(smoothed[id], d)) : null,
          el('td', { class: 'num' }, r.n != null ? fmtInt(r.n) : '—'),
          el('td', { class: 'num change ' + ch.cls, title: ch.cls ? t(ch.good ? 'better' : 'worse') : null }, ch.text));
      })));
  }

  // ---- alerts ---------------------------------------------------------------------------------
  // qText says a q-value in words: the chance that this alert is a false alarm.
  function qText(q) {
    const pct = 100 * q;
    const txt = pct < 0.1 ? '< 0.1%' : pct < 10 ? fmt(pct, 1) + '%' : fmt(pct, 0) + '%';
    return t('qWords') + ' ' + txt + ' (q = ' + (q < 0.001 ? q.toExponential(1) : fmt(q, 3)) + ')';
  }
  const alertKey = (x) => x.rule + '|' + x.branch + '|' + x.metric;
  // renderAlerts lists the alerts of the month with filters by rule, severity, metric and age:
  // an alert is continuing when the same rule fired for the same branch and metric the month
  // before (prev: the keys of that month's alerts; null when they could not be read).
  function renderAlerts(a, branch, prev) {
    const all = (a.alerts || []).slice();
    const f = state.alertFilter;
    $('alerts-sub').textContent = t('alertsOf') + ' ' + branchName(branch) + ' · ' + (a.month || state.month);
    const order = { significant: 0, watch: 1 };
    all.sort((x, y) => (order[x.severity] ?? 2) - (order[y.severity] ?? 2) || String(x.branch).localeCompare(String(y.branch)));
    for (const x of all) x.age = prev ? (prev.has(alertKey(x)) ? 'continuing' : 'new') : '';
    const sig = all.filter((x) => x.severity === 'significant').length;
    $('alerts-sub').textContent += ' · ' + all.length + ' ' + t('alertCount') + (sig ? ' (' + sig + ' ' + t('sev_significant') + ')' : '');
    const uniq = (k) => [...new Set(all.map((x) => x[k]))].sort();
    const pick = (key, allLabel, values, label) => el('select', { 'aria-label': key, 'data-filter': key, onchange: (e) => { f[key] = e.target.value; renderAlerts(a, branch, prev); } },
      el('option', { value: '' }, allLabel), ...values.map((v) => el('option', { value: v, selected: f[key] === v }, label(v))));
    $('alert-filters').replaceChildren(
      pick('rule', t('allRules'), uniq('rule'), (v) => t('rule_' + v)),
      pick('severity', t('allSeverities'), uniq('severity'), (v) => t('sev_' + v)),
      pick('metric', t('allMetrics'), uniq('metric'), metricName),
      prev ? pick('age', t('allAges'), ['new', 'continuing'], (v) => (v === 'new' ? t('isNew') : t('continuing'))) : null);
    const list = all.filter((x) => (!f.rule || x.rule === f.rule) && (!f.severity || x.severity === f.severity) &&
      (!f.metric || x.metric === f.metric) && (!f.age || x.age === f.age));
    if (list.length !== all.length) $('alerts-sub').textContent += ' · ' + t('filtered') + ' ' + list.length;
    if (!list.length) { $('alerts-list').replaceChildren(el('div', { class: 'empty' }, t('noAlerts'))); return; }
    $('alerts-list').replaceChildren(...list.map((x) => {
      const d = digitsFor(x.metric || '');
      let detail;
      if (x.rule === 'decline_streak') {
        const months = [];
        if (x.start) for (let i = 0; i < (x.values || []).length; i++) months.push(addMonths(x.start, i));
        detail = [x.streak + ' ' + t('streak') + ': ' + (x.values || []).map((v, i) => (months[i] ? months[i].slice(2) + ' ' : '') + fmt(v, d)).join(' → '),
          el('br'), t('drop') + ' ' + fmt(x.drop, d) + (isNum(x.z) ? ' · z = ' + fmt(x.z, 2) : '')];
      } else if (x.rule === 'below_base') {
        // Lower-is-better metrics miss their base from above: 4.35 > base 3.00.
        // More digits when the rounded value reads the same as the target (−0.04 < 0).
        const low = lowerBetter(x.metric);
        const dd = fmt(x.value, d) === fmt(x.base, d) ? d + 2 : d;
        detail = [fmt(x.value, dd) + (low ? ' > ' : ' < ') + t('base') + ' ' + fmt(x.base, dd) + ' (' + (low ? t('lowerBetter') : t('higherBetter')) + ')'];
      } else if (x.rule === 'lead_lost') {
        detail = [signed(x.value, d) + ' (' + t('was') + ' ' + signed(x.previous, d) + ')'];
      } else if (x.rule === 'drift') {
        detail = [fmt(x.value, d) + ' · ' + t('baseline') + ' ' + fmt(x.baseline, d) + ' · ' + t('drop') + ' ' + fmt(x.drop, d)];
      } else {
        detail = [JSON.stringify(x)];
      }
      if (isNum(x.q)) detail.push(el('br'), qText(x.q));
      const open = (e) => { e.preventDefault(); go({ branch: x.branch, metric: x.metric }); $('trend-panel').scrollIntoView({ block: 'nearest' }); };
      return el('div', { class: 'alert-row', 'data-rule': x.rule, 'data-branch': x.branch, 'data-metric': x.metric, 'data-age': x.age || null },
        el('span', { class: 'sev ' + x.severity, title: t('sev_' + x.severity + '_long') }, t('sev_' + x.severity)),
        el('div', { class: 'alert-title' }, t('rule_' + x.rule) + ' · ', el('a', { href: viewHash({ branch: x.branch, month: state.month, metric: x.metric, lang: state.lang }), onclick: open }, branchName(x.branch)), ' · ' + metricName(x.metric),
          x.age ? el('span', { class: 'tag age-' + x.age }, x.age === 'new' ? t('isNew') : t('continuing')) : null),
        el('div', { class: 'alert-detail' }, ...detail));
    }));
  }

  // ---- scorecard ------------------------------------------------------------------------------
  // fillPeriods offers the last complete quarter (the default), the selected month's quarter
  // to date when it is not over yet (period "2026-Q4-to-2026-11": the server scores the months
  // to date, not the months still to come as 0), and the selected month alone.
  const quarterEnd = (q) => q.slice(0, 4) + '-' + String(3 * Number(q.slice(6))).padStart(2, '0');
  function fillPeriods() {
    const q = quarterOf(state.month);
    const complete = quarterEnd(q) <= state.month ? q : quarterOf(addMonths(state.month, -3));
    const opts = [complete];
    if (q !== complete) opts.push(q + '-to-' + state.month);
    opts.push(state.month);
    if (!state.period || !opts.includes(state.period)) state.period = complete;
    const label = (p) => {
      const [base, last] = p.split('-to-');
      if (!base.includes('Q')) return p;
      return base + ' (' + t('quarter') + (last ? ', ' + t('toDate') + ' ' + last : '') + ')';
    };
    $('period').replaceChildren(...opts.map((p) => el('option', { value: p, selected: p === state.period }, label(p))));
  }
  function renderScorecard(sc) {
    const partial = String(sc.period || '').includes('-to-');
    const first = ((sc.components || [])[0] || {}).months || [];
    $('scorecard-note').textContent = partial && first.length ? fill(t('partialNote'), first[0].month + ' – ' + first[first.length - 1].month) : '';
    const comps = sc.components || [];
    const tgt = (c, k) => (c[k] != null ? c[k] : c.targets ? c.targets[k] : null);
    $('scorecard-table').replaceChildren(
      el('thead', null, el('tr', null, el('th', null, t('component')), el('th', { class: 'num' }, t('value')), el('th', { class: 'num' }, t('target')),
        el('th', { class: 'num' }, t('points')), el('th', null, ''))),
      el('tbody', null, comps.map((c) => {
        const d = digitsFor(c.metric);
        const score = c.points, max = c.points_max;
        const share = isNum(score) && max ? Math.max(0, Math.min(1, score / max)) : 0;
        const months = (c.months || []).map((x) => x.month + ' ' + fmt(x.value, d) + (x.missing ? ' (' + t('missing') + ')' : '')).join(' · ');
        return el('tr', { class: c.missing ? 'unreportable' : null, title: months || null },
          el('td', null, (state.lang === 'zh' && c.name) || metricName(c.metric), c.direction === 'lower' ? el('span', { class: 'tag', title: t('lowerBetter') }, '↓') : null),
          el('td', { class: 'num' }, fmt(c.value, d), c.missing ? el('span', { class: 'missing' }, ' ' + t('missing')) : null),
          el('td', { class: 'num' }, [tgt(c, 'floor'), tgt(c, 'base'), tgt(c, 'challenge')].map((v) => fmt(v, d)).join(' / ')),
          el('td', { class: 'num' }, fmt(score, 2) + ' / ' + fmt(max, 0)),
          el('td', null, el('div', { class: 'bar' }, el('span', { style: 'width:' + (share * 100).toFixed(1) + '%' }))));
      })),
      el('tfoot', null, el('tr', null, el('td', null, t('total') + (partial ? ' (' + t('toDate') + ')' : '')), el('td'), el('td'),
        el('td', { class: 'num', id: 'score-total' }, fmt(sc.total, 2) + (isNum(sc.max) ? ' / ' + fmt(sc.max, 0) : '')), el('td'))));
  }

  // ---- front line (前台, SPEC §5.2) ---------------------------------------------------------------
  // The stores (or agents, or customer managers) of the branch ranked for the month by one
  // metric, as dots with their 95% intervals; a unit with too few ratings is ranked by its
  // smoothed value, drawn as a hollow grey diamond there and flagged in words, never shown as
  // simply the worst. Choosing a store lists its clerks ranked the same way; choosing any unit
  // shows its card, its 12-month trend and its score breakdown (team and personal parts, their
  // components, the adjustments listed, the scheme's warnings).
  const FL_METRICS = {
    store: ['satisfaction', 'net_score', 'avg_wait', 'complaints', 'inspection.province', 'inspection.city', 'total'],
    agent: ['satisfaction', 'fcr', 'sl20', 'avg_wait', 'avg_handle', 'complaints', 'total'],
    manager: ['csi', 'complaints', 'churned', 'total'],
  };
  FL_METRICS.staff = FL_METRICS.store;
  const flName = (m) => (FL_NAMES[m] ? FL_NAMES[m][li()] : metricName(m));
  const flDigits = (m) => (['net_score', 'complaints', 'churned'].includes(m) ? 0 : m === 'total' ? 2 : 1);
  const wfmt = (v) => fmt(v, Number.isInteger(v) ? 0 : 2);
  // flValue reads metric m off a unit card as a Value ({value, moe95, n, reportable,
  // smoothed}); counts and inspection scores are bare numbers.
  function flValue(card, m) {
    if (!card) return {};
    if (m.startsWith('inspection.')) return { value: (card.inspection || {})[m.slice('inspection.'.length)] };
    const v = card[m];
    return v && typeof v === 'object' ? v : { value: isNum(v) ? v : null };
  }
  const parseUnit = (u) => { const i = String(u || '').indexOf(':'); return i > 0 ? { kind: u.slice(0, i), id: u.slice(i + 1) } : null; };
  const flView = (change) => Object.assign({ branch: state.branch, month: state.month, metric: state.metric, cmp: state.cmpMetric, lang: state.lang,
    period: state.period, fl: state.flKind, flm: state.flMetric, store: state.flStore, unit: state.flUnit }, change);
  let flGeneration = 0, flNoTotal = false;
  function goFL(change) {
    Object.assign(state, change);
    writeHash();
    const gen = ++flGeneration;
    section('frontline-panel', () => loadFrontline(() => gen !== flGeneration));
  }
  // renderRank lists a league table: rank, the unit (a link that selects it), value ± margin, n,
  // smoothed value, the flag in words; the chart above it draws the same rows (at most the best
  // and the worst 15).
  function renderRank(res, chartId, tableId, select) {
    const m = res.metric, d = flDigits(m), units = res.units || [];
    const sel = parseUnit(state.flUnit);
    const cap = 15;
    const drawn = units.length > 2 * cap ? units.slice(0, cap).concat(units.slice(-cap)) : units;
    const rows = drawn.map((u) => {
      const bySm = u.ranked_by === 'smoothed';
      const x = bySm ? u.smoothed : u.value;
      const lo = isNum(u.value) && isNum(u.moe95) ? u.value - u.moe95 : null, hi = isNum(lo) ? u.value + u.moe95 : null;
      return {
        cat: (u.rank != null ? u.rank + '. ' : '– ') + u.unit + (u.reportable ? '' : ' · ' + t('n') + ' ' + fmtInt(u.n)), x, lo, hi, grey: !u.reportable, hollow: bySm,
        tip: u.unit + '<br>' + fmt(u.value, d) + (isNum(u.moe95) ? ' ± ' + fmt(u.moe95, d) : '') + ' · ' + t('n') + ' ' + fmtInt(u.n) +
          (isNum(u.smoothed) ? '<br>' + t('smoothed') + ' ' + fmt(u.smoothed, d) : '') + (flagText(u) ? '<br>' + flagText(u) : ''),
      };
    }).filter((r) => isNum(r.x));
    dotChart(chartId, rows, flName(m), ['satisfaction', 'fcr', 'sl20'].includes(m) ? [0, 100] : null);
    $(chartId + '-chart').setAttribute('aria-label', rows.slice(0, 5).map((r) => r.cat + ' ' + fmt(r.x, d)).join('; '));
    $(tableId).setAttribute('aria-label', t('kind_' + res.unit) + ' · ' + flName(m));
    if (!units.length) { $(tableId).replaceChildren(el('caption', { class: 'empty' }, t('flNone'))); return; }
    $(tableId).replaceChildren(...(units.length > 2 * cap ? [el('caption', { class: 'muted' }, fill(t('flTopBottom'), cap, units.length))] : []),
      el('thead', null, el('tr', null, el('th', { class: 'num' }, t('rank')), el('th', null, t('unit')),
        el('th', { class: 'num' }, t('value')), el('th', { class: 'num' }, t('n')), el('th', { class: 'num' }, t('smoothed')))),
      el('tbody', null, units.map((u) => {
        const change = select(u);
        const chosen = sel && sel.kind === res.unit && sel.id === u.unit;
        return el('tr', { class: (u.reportable ? '' : 'unreportable') + (chosen ? ' selected' : ''), 'data-unit': u.unit, 'data-rank': u.rank },
          el('td', { class: 'num' }, u.rank != null ? u.rank : '—'),
          el('td', null, el('a', { class: 'unit-link', href: viewHash(flView(change)), 'aria-current': chosen ? 'true' : null,
            onclick: (e) => { e.preventDefault(); goFL(change); } }, u.unit),
          res.unit !== 'staff' && u.branch && u.branch !== res.parent ? el('span', { class: 'muted' }, ' ' + shortName(u.branch)) : null,
          flagText(u) ? el('span', { class: 'tag flag' }, flagText(u)) : null),
          el('td', { class: 'num' }, fmt(u.value, d) + (isNum(u.moe95) ? ' ± ' + fmt(u.moe95, d) : '')),
          el('td', { class: 'num' }, u.n != null ? fmtInt(u.n) : '—'),
          el('td', { class: 'num smoothed' }, fmt(u.smoothed, d)));
      })));
  }
  // flagText says why a unit is not ranked by its own value: too few ratings, ranked by its
  // smoothed value or not ranked at all, or no value ("" for a unit ranked by its value).
  function flagText(u) {
    if (u.ranked_by === 'smoothed') return t('flFlagSmoothed');
    if (u.ranked_by === 'none' || u.rank == null) return isNum(u.value) ? t('flNotRanked') : t('flNoValue');
    return u.reportable === false ? t('flFew') : '';
  }
  function unitTiles(c) {
    const count = (key, m, sub) => tile(flName(m), fmt(flValue(c, m).value, flDigits(m)), { key, sub });
    const v = (m) => valueTile('fl-' + m, flName(m), flValue(c, m));
    const ratings = t('ratings') + ' ' + fmtInt(c.ratings);
    const insp = c.inspection || {};
    if (c.kind === 'agent') return [v('satisfaction'), v('fcr'), v('sl20'), v('avg_wait'), v('avg_handle'), count('fl-complaints', 'complaints', ratings)];
    if (c.kind === 'manager') return [v('csi'), count('fl-complaints', 'complaints'), count('fl-churned', 'churned')];
    return [v('satisfaction'), count('fl-net_score', 'net_score', ratings), v('avg_wait'), count('fl-complaints', 'complaints'),
      tile(t('inspection'), fmt(insp.province, 1) + ' / ' + fmt(insp.city, 1), { key: 'fl-inspection', sub: t('province') + ' / ' + t('city') })];
  }
  const roleName = (r) => (I18N.en['role_' + r] ? t('role_' + r) : r || '');
  // A scheme's part or component is named by its title (the scheme file's words, Chinese) in
  // Chinese; in English by our name for it, else its code in words.
  const words = (code) => { const w = String(code).replace(/_/g, ' '); return w.charAt(0).toUpperCase() + w.slice(1); };
  function partName(p) {
    if (state.lang === 'zh' && p.title) return p.title;
    if (I18N.en['part_' + p.name]) return t('part_' + p.name);
    return FL_NAMES[p.name] ? FL_NAMES[p.name][li()] : words(p.name);
  }
  // compName names a scheme component: a front-line metric, score:<component> (assessed
  // elsewhere) or team:<metric> (the unit's store or branch value; team:score the store's score).
  function compName(c) {
    if (state.lang === 'zh' && c.title) return c.title;
    const code = String(c.component);
    const [pre, rest] = code.includes(':') ? code.split(/:(.*)/s) : ['', code];
    const base = FL_NAMES[rest] ? FL_NAMES[rest][li()] : pre === 'score' ? words(rest) : flName(rest);
    if (pre === 'team') return rest === 'score' ? t('storeScore') : (state.lang === 'zh' ? '团队' : 'Team ') + base;
    return base;
  }
  function renderScore(sc) {
    const table = $('fl-score-table'), warn = $('fl-warnings');
    if (!sc) {
      $('fl-score-sub').textContent = t('noScore');
      table.replaceChildren();
      warn.hidden = true;
      return;
    }
    $('fl-score-sub').textContent = t('scheme') + ' ' + sc.scheme + (sc.role ? ' · ' + roleName(sc.role) : '') + ' · ' + sc.period;
    const ws = sc.warnings || [];
    warn.hidden = !ws.length;
    warn.replaceChildren(...ws.map((w) => el('li', null, w)));
    const body = [];
    for (const p of sc.parts || []) {
      body.push(el('tr', { class: 'part', 'data-part': p.name, title: p.title || null }, el('td', null, partName(p) + ' · ' + t('weight') + ' ' + wfmt(p.weight)),
        el('td'), el('td', { class: 'num part-points' }, fmt(p.points, 2) + ' / ' + wfmt(p.weight))));
      for (const c of p.components || []) {
        body.push(el('tr', { class: c.flagged ? 'unreportable' : null, 'data-component': c.component },
          el('td', { class: 'comp', title: c.title || null }, compName(c),
            c.flagged ? el('span', { class: 'tag flag', title: c.reason || null }, t('flagged') + (c.reason ? ': ' + c.reason : '')) : null),
          el('td', { class: 'num' }, fmt(c.value, 1)),
          el('td', { class: 'num' }, fmt(c.points, 2) + ' / ' + wfmt(c.max))));
      }
    }
    const adj = (sc.adjustments || []).map((a) => el('tr', { class: 'adj', 'data-event': a.event_id },
      el('td', null, t('adjustment') + ' ' + a.period + ': ' + a.reason + (a.ref ? ' (' + a.ref + ')' : '')), el('td'),
      el('td', { class: 'num adj-points' }, signed(a.points, 2))));
    table.replaceChildren(
      el('thead', null, el('tr', null, el('th', null, t('component')), el('th', { class: 'num' }, t('value')), el('th', { class: 'num' }, t('points')))),
      el('tbody', null, body),
      el('tfoot', null,
        el('tr', null, el('td', null, t('weightedTotal')), el('td'), el('td', { class: 'num', id: 'fl-score-total' }, fmt(sc.total, 2) + ' / ' + wfmt(sc.max))),
        adj,
        adj.length ? el('tr', null, el('td', null, t('adjustedTotal')), el('td'), el('td', { class: 'num', id: 'fl-score-adjusted' }, fmt(sc.adjusted_total, 2))) : null));
  }
  function renderUnit(u, kind, id) {
    const c = u.card || {};
    $('fl-unit-title').textContent = t('one_' + kind) + ' ' + id + (c.branch ? ' · ' + branchName(c.branch) : '') +
      (c.store ? ' · ' + t('one_store') + ' ' + c.store : '') + ' · ' + (c.period || state.month);
    $('fl-unit-tiles').replaceChildren(...unitTiles(Object.assign({ kind }, c)));
    // The trend of the ranked metric where it is a rate or a mean of the card, else of
    // satisfaction (managers: their CSI).
    const m = FL_METRICS[kind].includes(state.flMetric) && state.flMetric !== 'total' ? state.flMetric : kind === 'manager' ? 'csi' : 'satisfaction';
    // A month is null where the unit was outside the token's scope: a gap.
    const months = u.trend || [];
    const last = String(c.period || state.month).slice(0, 7);
    const pts = months.map((tc, i) => Object.assign({ month: tc ? tc.period : addMonths(last, i - months.length + 1) }, flValue(tc, m)));
    const sm = months.map((tc) => { const s = flValue(tc, m).smoothed; return s && isNum(s.value) ? s.value : null; });
    $('fl-trend-sub').textContent = t('trend') + ' · ' + flName(m) + (pts.length ? ' · ' + pts[0].month + ' – ' + pts[pts.length - 1].month : '');
    renderTrend({ metric: m, points: pts }, sm.some(isNum) ? sm : null, { chart: 'fl-trend', name: flName(m), digits: flDigits(m), bounds: ['satisfaction', 'fcr', 'sl20'].includes(m) ? [0, 100] : null });
    $('fl-trend-chart').setAttribute('aria-label', flName(m) + ': ' + pts.map((p) => p.month + ' ' + fmt(p.value, flDigits(m))).join(', '));
    renderScore(u.score);
  }
  // loadFrontline loads the league table, the selected store's clerks and the selected unit.
  async function loadFrontline(stale) {
    const panel = $('frontline-panel');
    const kind = FL_METRICS[state.flKind] && state.flKind !== 'staff' ? state.flKind : 'store';
    state.flKind = kind;
    const metrics = FL_METRICS[kind].filter((m) => m !== 'total' || !flNoTotal);
    if (!metrics.includes(state.flMetric)) state.flMetric = metrics[0];
    $('fl-kind').replaceChildren(...['store', 'agent', 'manager'].map((k) => el('option', { value: k, selected: k === kind }, t('kind_' + k))));
    $('fl-metric').replaceChildren(...metrics.map((m) => el('option', { value: m, selected: m === state.flMetric }, flName(m) + (lowerBetter(m) ? ' ↓' : ''))));
    $('fl-rank-box').hidden = !!state.scopeStore;
    if (state.scopeStore) return loadOwnStore(stale);
    // The whole company's or a province's stores are thousands of rows (each with its card):
    // the league starts at a city.
    const wide = state.branch === 'ALL' || state.branch.split('-').length < 2;
    $('fl-body').hidden = wide;
    if (wide) {
      panel.hidden = false;
      $('fl-sub').textContent = t('flPickCity');
      document.body.dataset.fl = String(Number(document.body.dataset.fl || 0) + 1);
      return;
    }
    let res;
    try {
      res = await api('rank', { unit: kind, parent: state.branch, period: state.month, metric: state.flMetric });
    } catch (err) {
      // A server without front-line league tables: no panel.
      if (err instanceof HTTPError && (err.status === 404 || (err.status === 400 && err.body && err.body.param === 'level'))) { panel.hidden = true; return; }
      // Totals need a scheme: without one, the metric is dropped from the list.
      if (err instanceof HTTPError && err.status === 400 && err.body && err.body.param === 'metric' && state.flMetric === 'total' && !flNoTotal) {
        flNoTotal = true;
        return loadFrontline(stale);
      }
      panel.hidden = false;
      throw err;
    }
    if (stale()) return;
    panel.hidden = false;
    $('fl-sub').textContent = fill(t('flOf'), t('kind_' + kind), branchName(res.parent || state.branch), res.period || state.month) + ' · ' +
      flName(res.metric) + ' (' + (res.lower_is_better ? t('lowerBetter') : t('higherBetter')) + ')';
    const units = res.units || [];
    const has = (id) => units.some((u) => u.unit === id);
    if (kind === 'store') {
      if (!state.flStore || !has(state.flStore)) state.flStore = units.length ? units[0].unit : null;
    } else {
      state.flStore = null;
    }
    const sel = parseUnit(state.flUnit);
    const ok = sel && (sel.kind === kind ? has(sel.id) : kind === 'store' && sel.kind === 'staff');
    if (!ok) state.flUnit = units.length ? kind + ':' + (kind === 'store' ? state.flStore : units[0].unit) : null;
    writeHash();
    renderRank(res, 'fl-rank', 'fl-rank-table', (u) => (kind === 'store' ? { flStore: u.unit, flUnit: 'store:' + u.unit } : { flUnit: kind + ':' + u.unit }));
    await loadStoreAndUnit(kind, stale);
  }
  // loadOwnStore is the front line of a store's token: its store and the store's clerks, no
  // league of other units (which it may not read).
  async function loadOwnStore(stale) {
    const id = state.scopeStore;
    $('fl-kind').replaceChildren(el('option', { value: 'store' }, t('kind_store')));
    state.flStore = id;
    const sel = parseUnit(state.flUnit);
    if (!sel || !(sel.kind === 'staff' || (sel.kind === 'store' && sel.id === id))) state.flUnit = 'store:' + id;
    $('frontline-panel').hidden = false;
    $('fl-sub').textContent = t('one_store') + ' ' + id + ' · ' + state.month;
    writeHash();
    await loadStoreAndUnit('store', stale);
  }
  // loadStoreAndUnit loads the chosen store's clerks (kind store) and the chosen unit.
  async function loadStoreAndUnit(kind, stale) {
    const unit = parseUnit(state.flUnit);
    const [staff, detail] = await Promise.all([
      kind === 'store' && state.flStore ? api('rank', { unit: 'staff', parent: 'store:' + state.flStore, period: state.month, metric: FL_METRICS.staff.includes(state.flMetric) ? state.flMetric : 'satisfaction' }) : null,
      unit ? api('unit', { kind: unit.kind, id: unit.id, period: state.month }) : null,
    ]);
    if (stale()) return;
    $('fl-staff-box').hidden = !staff;
    if (staff) {
      $('fl-staff-title').textContent = fill(t('flStaffOf'), state.flStore) + ' · ' + flName(staff.metric);
      renderRank(staff, 'fl-staff', 'fl-staff-table', (u) => ({ flUnit: 'staff:' + u.unit }));
    }
    $('fl-unit').hidden = !detail;
    if (detail) renderUnit(detail, unit.kind, unit.id);
    document.body.dataset.fl = String(Number(document.body.dataset.fl || 0) + 1); // tests wait for this
  }

  // ---- loading --------------------------------------------------------------------------------
  let generation = 0;
  async function section(panelId, load) {
    const panel = $(panelId);
    panel.classList.add('loading');
    try {
      await load();
      panel.querySelectorAll('.section-error').forEach((e) => e.remove());
    } catch (err) {
      panel.querySelectorAll('.section-error').forEach((e) => e.remove());
      panel.append(el('div', { class: 'banner error section-error' }, failText(err)));
    } finally {
      panel.classList.remove('loading');
    }
  }
  // hasData reports whether a card holds anything for its month.
  function hasData(c) {
    const s = c.survey || {}, own = s.own || {}, w = c.window || {}, cp = c.complaints || {}, ch = c.churn || {};
    return ((own.csi || {}).n || 0) > 0 || ((own.overall || {}).n || 0) > 0 || ((w.hotline || {}).n || 0) > 0 || ((w.store || {}).n || 0) > 0 ||
      (cp.opened || 0) > 0 || (cp.closed || 0) > 0 || (ch.churned || 0) > 0 || !!(c.base && c.base.subscribers);
  }
  // childSmoothed returns, for a comparison of counties by a survey metric (csi, overall,
  // item:<code>), each child's smoothed value from its card (branch → value); else null.
  async function childSmoothed(cmp, m) {
    const [kind, code] = String(cmp.metric).split(':');
    const kids = cmp.children || [];
    if (!kids.length || !['csi', 'overall', 'item'].includes(kind) || kids[0].branch.split('-').length < 3) return null;
    const cards = await Promise.all(kids.map((r) => api('kpi', { branch: r.branch, month: m }).catch(() => null)));
    const out = {};
    kids.forEach((r, i) => {
      const own = cards[i] && cards[i].survey && cards[i].survey.own;
      const v = own && (kind === 'item' ? (own.items || {})[code] : own[kind]);
      out[r.branch] = v && v.smoothed && isNum(v.smoothed.value) ? v.smoothed.value : null;
    });
    return Object.values(out).some(isNum) ? out : null;
  }
  // smoothedSeries returns, for a county and a survey metric (csi, overall, item:<code>), the
  // smoothed value of each month from the cards (null where there is none); else null.
  async function smoothedSeries(b, metric, months) {
    const [kind, code] = metric.split(':');
    if (b === 'ALL' || b.split('-').length < 3 || !['csi', 'overall', 'item'].includes(kind)) return null;
    const cards = await Promise.all(months.map((m) => api('kpi', { branch: b, month: m }).catch(() => null)));
    return cards.map((c) => {
      const own = c && c.survey && c.survey.own;
      const v = own && (kind === 'item' ? (own.items || {})[code] : own[kind]);
      return v && v.smoothed && isNum(v.smoothed.value) ? v.smoothed.value : null;
    });
  }
  // download fetches an export (with the token, which a plain link would not send) and saves it.
  async function download(path, params, format) {
    const q = new URLSearchParams(Object.assign({}, params, { format }));
    const headers = {};
    const tok = sessionStorage.getItem('csat.token');
    if (tok) headers.Authorization = 'Bearer ' + tok;
    try {
      const resp = await fetch('/api/v1/' + path + '?' + q, { headers });
      if (!resp.ok) throw new HTTPError(resp.status, await resp.json().catch(() => null));
      const name = (/filename="([^"]+)"/.exec(resp.headers.get('Content-Disposition') || '') || [])[1] || path + '.' + format;
      const a = el('a', { href: URL.createObjectURL(await resp.blob()), download: name });
      document.body.append(a); a.click(); a.remove();
    } catch (err) {
      showBanner(failText(err), true);
    }
  }
  function exportLinks(id, path, params, label) {
    $(id).replaceChildren((label || t('download')) + ': ', ...['csv', 'xlsx'].map((f) => el('a', {
      href: '/api/v1/' + path + '?' + new URLSearchParams(Object.assign({}, params, { format: f })), 'data-format': f,
      onclick: (e) => { e.preventDefault(); download(path, params, f); },
    }, f.toUpperCase())));
  }
  // block shows only the banner: the view asked for cannot be shown (unknown branch, bad month,
  // a month without data), and an empty chart would look like an answer.
  function block(msg, link) {
    showBanner(msg, true);
    if (link) $('banner').append(' ', el('a', { href: viewHash(link.view), onclick: (e) => { e.preventDefault(); state.problem = null; go(link.view); } }, link.text));
    document.body.classList.add('blocked');
  }
  async function refresh() {
    const gen = ++generation;
    const stale = () => gen !== generation;
    const done = () => { if (!stale()) document.body.dataset.loaded = String(gen); }; // tests wait for this
    applyLang();
    showBanner(null);
    document.body.classList.remove('blocked');
    const home = { branch: state.scope, lang: state.lang };
    if (state.problem && state.problem.kind === 'branch') {
      renderPicker();
      block(fill(t('unknownBranch'), state.problem.value), { view: home, text: branchName(state.scope) });
      done();
      return;
    }
    if (state.problem && state.problem.kind === 'month') {
      renderPicker();
      block(fill(t('badMonth'), state.problem.value), { view: Object.assign({}, home, { branch: state.branch || state.scope, month: state.latest || defaultMonth() }), text: state.latest || defaultMonth() });
      done();
      return;
    }
    writeHash();
    renderPicker();
    fillPeriods();
    $('month').value = state.month;
    const b = state.branch, m = state.month;
    const cmpParent = children(b).length ? b : parentOf(b);
    const scoped = (id) => id === state.scope || id.startsWith(state.scope + '-') || state.scope === 'ALL';
    let card = null;
    await section('kpi-panel', async () => { card = await api('kpi', { branch: b, month: m }); });
    if (stale()) return;
    if (card && !hasData(card)) {
      const latest = state.latest && state.latest !== m ? { view: { branch: b, month: state.latest, lang: state.lang }, text: fill(t('latestData'), state.latest) } : null;
      block(fill(t('noDataMonth'), branchName(b), m), latest);
      done();
      return;
    }
    if (m > defaultMonth()) showBanner(fill(t('futureMonth'), m), false);
    if (card) { renderCard(card); renderDrivers(card.drivers); }
    const p = scoped(cmpParent) ? cmpParent : b;
    $('compare-panel').hidden = !!state.scopeStore; // a store's token compares nothing (403)
    exportLinks('compare-export', 'compare', { parent: p, month: m, metric: state.cmpMetric });
    exportLinks('alerts-export', 'alerts', { branch: b, month: m });
    exportLinks('scorecard-export', 'scorecard', { branch: b, period: state.period });
    // The league table of the sub-branches (排名) over the same period.
    const level = b === 'ALL' ? 0 : b.split('-').length;
    if (children(b).length && level < 4 && !state.scopeStore) {
      exportLinks('league-export', 'rank', { parent: b, level: level + 1, period: state.period }, t('league'));
    } else {
      $('league-export').replaceChildren();
    }
    await Promise.all([
      section('trend-panel', async () => {
        const months = [];
        for (let i = -11; i <= 0; i++) months.push(addMonths(m, i));
        const [tr, sm] = await Promise.all([api('trend', { branch: b, metric: state.metric, from: months[0], to: m }), smoothedSeries(b, state.metric, months)]);
        if (!stale()) renderTrend(tr, sm);
      }),
      state.scopeStore ? null : section('compare-panel', async () => {
        const fm = state.cmpMetric === 'churn_rate' ? 'churn_rate' : 'complaint_rate';
        const [c, f] = await Promise.all([api('compare', { parent: p, month: m, metric: state.cmpMetric }),
          api('funnel', { parent: p, month: m, metric: fm }).catch(() => null)]);
        const sm = await childSmoothed(c, m);
        if (!stale()) { renderCompare(c, p, sm); if (f) renderFunnel(f); }
      }),
      section('alerts-panel', async () => {
        const [a, prev] = await Promise.all([api('alerts', { branch: b, month: m }), api('alerts', { branch: b, month: addMonths(m, -1) }).catch(() => null)]);
        if (!stale()) renderAlerts(a, b, prev ? new Set((prev.alerts || []).map(alertKey)) : null);
      }),
      section('scorecard-panel', async () => { const s = await api('scorecard', { branch: b, period: state.period }); if (!stale()) renderScorecard(s); }),
      section('frontline-panel', () => { const g = ++flGeneration; return loadFrontline(() => stale() || g !== flGeneration); }),
    ]);
    done();
  }
  function go(change) {
    if ('branch' in change || 'month' in change) state.problem = null;
    if ('branch' in change || 'month' in change) state.alertFilter = { rule: '', severity: '', metric: '', age: '' };
    if ('branch' in change && change.branch !== state.branch) Object.assign(state, { flStore: null, flUnit: null });
    Object.assign(state, change);
    refresh();
  }

  async function start() {
    const h = readURL();
    state.lang = h.lang === 'zh' || h.lang === 'en' ? h.lang : (navigator.language || '').toLowerCase().startsWith('zh') ? 'zh' : 'en';
    state.metric = h.metric || 'csi';
    state.cmpMetric = h.cmp || 'csi';
    state.period = h.period;
    state.alertFilter = { rule: '', severity: '', metric: '', age: '' };
    Object.assign(state, { flKind: h.fl || 'store', flMetric: h.flm || null, flStore: h.store || null, flUnit: h.unit || null });
    applyLang();
    $('fl-kind').addEventListener('change', (e) => goFL({ flKind: e.target.value, flMetric: null, flStore: null, flUnit: null }));
    $('fl-metric').addEventListener('change', (e) => goFL({ flMetric: e.target.value }));
    $('month').addEventListener('change', (e) => { if (e.target.value) go({ month: e.target.value }); });
    $('child-select').addEventListener('change', (e) => { if (e.target.value) go({ branch: e.target.value }); });
    $('trend-metric').addEventListener('change', (e) => go({ metric: e.target.value }));
    $('compare-metric').addEventListener('change', (e) => go({ cmpMetric: e.target.value }));
    $('period').addEventListener('change', (e) => go({ period: e.target.value }));
    $('lang-toggle').addEventListener('click', () => go({ lang: state.lang === 'zh' ? 'en' : 'zh' }));
    $('token-button').addEventListener('click', async () => { await askToken(); loadBranches(h); });
    window.addEventListener('resize', () => Object.values(charts).forEach((c) => c.resize()));
    await loadBranches(h);
  }
  // latestMonth finds the latest month with a CSI in the 13 months up to the last full calendar
  // month (null when none, or when it cannot be read).
  async function latestMonth(scope) {
    const to = defaultMonth();
    try {
      const tr = await api('trend', { branch: scope, metric: 'csi', from: addMonths(to, -12), to });
      const pts = (tr.points || []).filter((p) => isNum(p.value));
      return pts.length ? pts[pts.length - 1].month : null;
    } catch (err) {
      return null;
    }
  }
  // loadBranches reads the hierarchy in the token's scope and shows the view h asks for: an
  // unknown branch or a bad month is reported, not replaced.
  async function loadBranches(h) {
    try {
      const bl = await api('branches');
      // A store's token (GD-SZ-NS/store:S123, SPEC §5.5) reads its branch's own aggregates, the
      // store and its staff: the server answers its branch as scope and its store as store; the
      // branch is the scope of the branch views, the store the front line's.
      state.scope = String(bl.scope || 'ALL');
      state.scopeStore = bl.store ? String(bl.store) : null;
      state.branches = bl.branches || [];
      state.byId = Object.fromEntries(state.branches.map((b) => [b.id, b]));
      POLARITY = Object.fromEntries(((await api('metrics')).metrics || []).map((x) => [x.kind, x.better]));
    } catch (err) {
      showBanner(failText(err), true);
      return;
    }
    state.latest = await latestMonth(state.scope);
    state.problem = null;
    const want = h.branch || state.branch;
    state.branch = want && (state.byId[want] || want === state.scope) ? want : state.scope;
    if (want && state.branch !== want) state.problem = { kind: 'branch', value: want };
    if (h.month != null && !/^\d{4}-(0[1-9]|1[0-2])$/.test(h.month)) state.problem = state.problem || { kind: 'month', value: h.month };
    state.month = h.month && !state.problem ? h.month : state.month || state.latest || defaultMonth();
    h.month = null;
    await refresh();
  }
  start();
})();
