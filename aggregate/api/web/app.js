// csat dashboard: plain JavaScript over the /api/v1 JSON API (see /api/v1/openapi.json).
// State lives in the URL hash (#branch=GD-GZ&month=2026-10&metric=csi&lang=zh), so a view can
// be bookmarked and shared. The token (when the server asks for one) is kept in sessionStorage.
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
      rule_decline_streak: 'Decline streak', rule_below_base: 'Below base target', rule_lead_lost: 'Lead lost',
      sev_significant: 'significant', sev_watch: 'watch', quarter: 'quarter', alertCount: 'alerts',
      rule_drift: 'Slow drift', baseline: 'baseline', driversTitle: 'Key drivers',
      driversNote: 'Importance for the overall score against own performance; red: priorities (important and behind the best competitor).',
      importance: 'importance', performance: 'performance', gap: 'gap to best', priorities: 'priorities', pooled: 'importance from',
      funnel: 'Funnel plot', funnelNote: "Each sub-branch's rate against its subscriber base; lines: 95% and 99.8% control limits, widened for over-dispersion. Red: outliers.",
      funnelTarget: 'overall', outlier: 'outlier', limits95: '95% limits', limits998: '99.8% limits',
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
      rule_decline_streak: '连续下降', rule_below_base: '低于基本目标', rule_lead_lost: '失去领先',
      sev_significant: '显著', sev_watch: '关注', quarter: '季度', alertCount: '条预警',
      rule_drift: '缓慢下滑', baseline: '基线', driversTitle: '关键驱动因素',
      driversNote: '横轴：本网得分；纵轴：对总体满意度的重要性；红色：优先改进项（重要且落后于最强竞争对手）。',
      importance: '重要性', performance: '得分', gap: '与最强差距', priorities: '优先改进', pooled: '重要性来源',
      funnel: '漏斗图', funnelNote: '各下级单位的比率与客户规模；线：95% 与 99.8% 控制限（已校正过度离散）。红色：异常值。',
      funnelTarget: '总体', outlier: '异常', limits95: '95% 控制限', limits998: '99.8% 控制限',
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
  };
  const ITEMS = {
    network: ['Network quality', '网络质量'], voice: ['Voice quality', '通话质量'], data: ['Mobile data', '移动上网'],
    tariff: ['Tariffs', '资费套餐'], billing: ['Billing accuracy', '计费准确'], store: ['Store service', '营业厅服务'],
    hotline: ['10086 hotline', '10086热线'], online: ['Online / app', '网上/掌上营业厅'], brand: ['Brand', '品牌形象'],
    complaint: ['Complaint handling', '投诉处理'],
  };
  const CARRIERS = { cmcc: ['China Mobile', '中国移动'], ctcc: ['China Telecom', '中国电信'], cucc: ['China Unicom', '中国联通'] };
  const SCALE_METRICS = new Set(['csi', 'overall', 'lead', 'spi', 'short_plank_improvement']);

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
    return v.toLocaleString(state.lang === 'zh' ? 'zh-CN' : 'en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }
  const fmtInt = (v) => (isNum(v) ? Math.round(v).toLocaleString(state.lang === 'zh' ? 'zh-CN' : 'en-US') : '—');
  const signed = (v, d) => (isNum(v) ? (v > 0 ? '+' : v < 0 ? '−' : '±') + fmt(Math.abs(v), d) : '—');
  function digitsFor(metric) {
    if (/rate|per/.test(metric) && !/retention|sla/.test(metric)) return 2;
    return 1;
  }
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
  function readHash() {
    const h = new URLSearchParams(location.hash.slice(1));
    return { branch: h.get('branch'), month: h.get('month'), metric: h.get('metric'), cmp: h.get('cmp'), lang: h.get('lang'), period: h.get('period') };
  }
  function writeHash() {
    const h = new URLSearchParams({ branch: state.branch, month: state.month, metric: state.metric, cmp: state.cmpMetric, lang: state.lang });
    if (state.period) h.set('period', state.period);
    history.replaceState(null, '', '#' + h);
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
    fillMetricSelect($('compare-metric'), state.cmpMetric, false);
  }
  function fillMetricSelect(sel, value, withItems) {
    const names = ['csi', 'overall', 'lead', 'spi', 'window_satisfaction', 'hotline_satisfaction', 'store_satisfaction',
      'complaint_rate', 'escalated_rate', 'complaint_sla_rate', 'churn_rate', 'high_value_churn_rate', 'retention_rate'];
    if (withItems) for (const c of Object.keys(ITEMS)) names.push('item:' + c);
    sel.replaceChildren(...names.map((m) => el('option', { value: m, selected: m === value }, metricName(m))));
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
      sub: [t('n') + ' ' + fmtInt(v.n), ok ? null : el('span', { class: 'tag' }, t('unreportable'))],
    });
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
        sub: [(sp.absolute || []).map(itemName).join(' · ') || '—', el('br'), t('improvement') + ' ' + signed(sp.improvement, 1)],
      }),
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
        el('td', { class: 'num' }, fmt(v.value, 1) + (isNum(v.moe95) ? ' ± ' + fmt(v.moe95, 1) : '')),
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
  function renderTrend(tr) {
    const pts = tr.points || tr.values || [];
    const months = pts.map((p) => p.month);
    const val = pts.map((p) => (isNum(p.value) ? p.value : null));
    const lo = pts.map((p) => (isNum(p.value) && isNum(p.moe95) ? p.value - p.moe95 : null));
    const band = pts.map((p) => (isNum(p.value) && isNum(p.moe95) ? 2 * p.moe95 : null));
    const d = digitsFor(tr.metric || state.metric);
    const name = metricName(tr.metric || state.metric);
    chart('trend').setOption({
      animation: false,
      grid: { left: 48, right: 16, top: 28, bottom: 28 },
      tooltip: {
        trigger: 'axis',
        formatter: (ps) => {
          const p = pts[ps[0].dataIndex] || {};
          return p.month + '<br>' + name + ': <b>' + fmt(p.value, d) + '</b>' + (isNum(p.moe95) ? ' ± ' + fmt(p.moe95, d) : '') +
            (p.n != null ? '<br>' + t('n') + ' ' + fmtInt(p.n) : '') + (p.reportable === false ? '<br>' + t('unreportable') : '');
        },
      },
      xAxis: { type: 'category', data: months, boundaryGap: false, axisLabel: { color: '#6b7588' } },
      yAxis: { type: 'value', scale: true, axisLabel: { color: '#6b7588' }, splitLine: { lineStyle: { color: '#eef1f5' } } },
      series: [
        { name: 'lower', type: 'line', data: lo, stack: 'band', symbol: 'none', lineStyle: { opacity: 0 }, silent: true },
        { name: '95%', type: 'line', data: band, stack: 'band', symbol: 'none', lineStyle: { opacity: 0 }, areaStyle: { color: 'rgba(11,107,203,0.14)' }, silent: true },
        {
          name, type: 'line', data: pts.map((p, i) => ({
            value: val[i],
            itemStyle: p.reportable === false ? { color: '#fff', borderColor: '#a9b0bc' } : undefined,
          })),
          symbol: 'circle', symbolSize: 7, lineStyle: { width: 2.5, color: '#0b6bcb' }, itemStyle: { color: '#0b6bcb' }, connectNulls: false,
          markLine: SCALE_METRICS.has(tr.metric) && (tr.metric === 'lead' || tr.metric.startsWith('item_lead'))
            ? { symbol: 'none', silent: true, data: [{ yAxis: 0 }], lineStyle: { color: '#c8372d', type: 'dashed' }, label: { show: false } } : undefined,
        },
      ],
    }, true);
  }

  // ---- compare --------------------------------------------------------------------------------
  function renderCompare(cmp, parent) {
    const rows = (cmp.branches || cmp.children || cmp.rows || []).slice();
    const d = digitsFor(cmp.metric || state.cmpMetric);
    $('compare-sub').textContent = t('childrenOf') + ' ' + branchName(parent) + ' · ' + metricName(cmp.metric || state.cmpMetric);
    // The chart shows the children with a value (the table lists them all); echarts draws the
    // first category at the bottom.
    const shown = rows.filter((r) => isNum(r.value)).reverse();
    const cats = shown.map((r) => branchName(r.branch || r.id));
    const grey = '#c9ced8';
    chart('compare').setOption({
      animation: false,
      grid: { left: 8, right: 40, top: 8, bottom: 24, containLabel: true },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: { type: 'value', scale: true, axisLabel: { color: '#6b7588' }, splitLine: { lineStyle: { color: '#eef1f5' } } },
      yAxis: { type: 'category', data: cats, axisLabel: { color: '#1d2533' } },
      series: [
        {
          type: 'bar', barMaxWidth: 18, name: metricName(cmp.metric),
          data: shown.map((r) => ({ value: isNum(r.value) ? r.value : null, itemStyle: { color: r.reportable === false ? grey : '#0b6bcb', borderRadius: [0, 3, 3, 0] } })),
        },
        {
          type: 'custom', name: '95%', silent: true, z: 5,
          data: shown.map((r, i) => [i, isNum(r.value) && isNum(r.moe95) ? r.value - r.moe95 : null, isNum(r.value) && isNum(r.moe95) ? r.value + r.moe95 : null]),
          renderItem: (params, api) => {
            if (api.value(1) == null || isNaN(api.value(1))) return null;
            const a = api.coord([api.value(1), api.value(0)]), b = api.coord([api.value(2), api.value(0)]);
            const hh = 5, style = { stroke: '#1d2533', lineWidth: 1.2 };
            return { type: 'group', children: [
              { type: 'line', shape: { x1: a[0], y1: a[1], x2: b[0], y2: b[1] }, style },
              { type: 'line', shape: { x1: a[0], y1: a[1] - hh, x2: a[0], y2: a[1] + hh }, style },
              { type: 'line', shape: { x1: b[0], y1: b[1] - hh, x2: b[0], y2: b[1] + hh }, style },
            ] };
          },
          encode: { x: [1, 2], y: 0 },
        },
      ],
    }, true);
    const h = shown.length ? Math.max(160, 34 * shown.length + 40) : 60;
    if (!rows.length) $('compare-sub').textContent = t('childrenOf') + ' ' + branchName(parent) + ' · ' + t('noChildren');
    $('compare-chart').style.height = h + 'px';
    chart('compare').resize();
    $('compare-table').replaceChildren(
      el('thead', null, el('tr', null, el('th', { class: 'num' }, t('rank')), el('th', null, t('branch')),
        el('th', { class: 'num' }, t('value')), el('th', { class: 'num' }, t('n')), el('th', { class: 'num' }, t('previous')))),
      el('tbody', null, rows.map((r) => {
        const id = r.branch || r.id;
        const ch = isNum(r.change) ? r.change : null;
        return el('tr', { class: 'clickable' + (r.reportable === false ? ' unreportable' : ''), onclick: () => go({ branch: id }) },
          el('td', { class: 'num' }, r.rank != null ? r.rank : '—'),
          el('td', null, branchName(id)),
          el('td', { class: 'num' }, fmt(r.value, d) + (isNum(r.moe95) ? ' ± ' + fmt(r.moe95, d) : '')),
          el('td', { class: 'num' }, r.n != null ? fmtInt(r.n) : '—'),
          el('td', { class: 'num ' + (ch == null ? '' : ch >= 0 ? 'up' : 'down') }, ch == null ? '—' : (ch > 0 ? '▲ ' : ch < 0 ? '▼ ' : '') + signed(ch, d)));
      })));
  }

  // ---- alerts ---------------------------------------------------------------------------------
  function renderAlerts(a, branch) {
    const list = a.alerts || [];
    $('alerts-sub').textContent = t('alertsOf') + ' ' + branchName(branch) + ' · ' + (a.month || state.month);
    if (!list.length) { $('alerts-list').replaceChildren(el('div', { class: 'empty' }, t('noAlerts'))); return; }
    const order = { significant: 0, watch: 1 };
    list.sort((x, y) => (order[x.severity] ?? 2) - (order[y.severity] ?? 2) || String(x.branch).localeCompare(String(y.branch)));
    const sig = list.filter((x) => x.severity === 'significant').length;
    $('alerts-sub').textContent += ' · ' + list.length + ' ' + t('alertCount') + (sig ? ' (' + sig + ' ' + t('sev_significant') + ')' : '');
    $('alerts-list').replaceChildren(...list.map((x) => {
      const d = digitsFor(x.metric || '');
      let detail;
      if (x.rule === 'decline_streak') {
        const months = [];
        if (x.start) for (let i = 0; i < (x.values || []).length; i++) months.push(addMonths(x.start, i));
        detail = [x.streak + ' ' + t('streak') + ': ' + (x.values || []).map((v, i) => (months[i] ? months[i].slice(2) + ' ' : '') + fmt(v, d)).join(' → '),
          el('br'), t('drop') + ' ' + fmt(x.drop, d) + ' · z = ' + fmt(x.z, 2)];
      } else if (x.rule === 'below_base') {
        detail = [fmt(x.value, d) + ' < ' + t('base') + ' ' + fmt(x.base, d)];
      } else if (x.rule === 'lead_lost') {
        detail = [signed(x.value, d) + ' (' + t('was') + ' ' + signed(x.previous, d) + ')'];
      } else if (x.rule === 'drift') {
        detail = [fmt(x.value, d) + ' · ' + t('baseline') + ' ' + fmt(x.baseline, d) + ' · ' + t('drop') + ' ' + fmt(x.drop, d)];
      } else {
        detail = [JSON.stringify(x)];
      }
      if (isNum(x.q)) detail.push(el('br'), 'q = ' + (x.q < 0.001 ? x.q.toExponential(1) : fmt(x.q, 3)));
      return el('div', { class: 'alert-row', 'data-rule': x.rule, 'data-branch': x.branch },
        el('span', { class: 'sev ' + x.severity }, t('sev_' + x.severity)),
        el('div', { class: 'alert-title' }, t('rule_' + x.rule) + ' · ', el('a', { href: '#', onclick: (e) => { e.preventDefault(); go({ branch: x.branch }); } }, branchName(x.branch)), ' · ' + metricName(x.metric)),
        el('div', { class: 'alert-detail' }, ...detail));
    }));
  }

  // ---- scorecard ------------------------------------------------------------------------------
  function fillPeriods() {
    const q = quarterOf(state.month);
    const opts = [state.month, q, addMonths(state.month, -3).slice(0, 4) + '-Q' + Math.ceil(Number(addMonths(state.month, -3).slice(5)) / 3)];
    const uniq = [...new Set(opts)];
    if (!state.period || !uniq.includes(state.period)) state.period = q;
    $('period').replaceChildren(...uniq.map((p) => el('option', { value: p, selected: p === state.period }, p.includes('Q') ? p + ' (' + t('quarter') + ')' : p)));
  }
  function renderScorecard(sc) {
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
          el('td', null, metricName(c.metric), c.direction === 'lower' ? el('span', { class: 'tag' }, '↓') : null),
          el('td', { class: 'num' }, fmt(c.value, d), c.missing ? el('span', { class: 'missing' }, ' ' + t('missing')) : null),
          el('td', { class: 'num' }, [tgt(c, 'floor'), tgt(c, 'base'), tgt(c, 'challenge')].map((v) => fmt(v, d)).join(' / ')),
          el('td', { class: 'num' }, fmt(score, 2) + ' / ' + fmt(max, 0)),
          el('td', null, el('div', { class: 'bar' }, el('span', { style: 'width:' + (share * 100).toFixed(1) + '%' }))));
      })),
      el('tfoot', null, el('tr', null, el('td', null, t('total')), el('td'), el('td'),
        el('td', { class: 'num', id: 'score-total' }, fmt(sc.total, 2) + (isNum(sc.max) ? ' / ' + fmt(sc.max, 0) : '')), el('td'))));
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
  async function refresh() {
    const gen = ++generation;
    writeHash();
    applyLang();
    renderPicker();
    fillPeriods();
    showBanner(null);
    const b = state.branch, m = state.month;
    const cmpParent = children(b).length ? b : parentOf(b);
    const scoped = (id) => id === state.scope || id.startsWith(state.scope + '-') || state.scope === 'ALL';
    const stale = () => gen !== generation;
    await Promise.all([
      section('kpi-panel', async () => { const c = await api('kpi', { branch: b, month: m }); if (!stale()) { renderCard(c); renderDrivers(c.drivers); } }),
      section('trend-panel', async () => {
        const tr = await api('trend', { branch: b, metric: state.metric, from: addMonths(m, -11), to: m });
        if (!stale()) renderTrend(tr);
      }),
      section('compare-panel', async () => {
        const p = scoped(cmpParent) ? cmpParent : b;
        const fm = state.cmpMetric === 'churn_rate' ? 'churn_rate' : 'complaint_rate';
        const [c, f] = await Promise.all([api('compare', { parent: p, month: m, metric: state.cmpMetric }),
          api('funnel', { parent: p, month: m, metric: fm }).catch(() => null)]);
        if (!stale()) { renderCompare(c, p); if (f) renderFunnel(f); }
      }),
      section('alerts-panel', async () => { const a = await api('alerts', { branch: b, month: m }); if (!stale()) renderAlerts(a, b); }),
      section('scorecard-panel', async () => { const s = await api('scorecard', { branch: b, period: state.period }); if (!stale()) renderScorecard(s); }),
    ]);
    document.body.dataset.loaded = String(gen); // tests wait for this
  }
  function go(change) {
    Object.assign(state, change);
    refresh();
  }

  async function start() {
    const h = readHash();
    state.lang = h.lang === 'zh' || h.lang === 'en' ? h.lang : (navigator.language || '').toLowerCase().startsWith('zh') ? 'zh' : 'en';
    state.month = /^\d{4}-\d{2}$/.test(h.month || '') ? h.month : defaultMonth();
    state.metric = h.metric || 'csi';
    state.cmpMetric = h.cmp || 'csi';
    state.period = h.period;
    applyLang();
    $('month').value = state.month;
    $('month').addEventListener('change', (e) => { if (e.target.value) go({ month: e.target.value }); });
    $('child-select').addEventListener('change', (e) => { if (e.target.value) go({ branch: e.target.value }); });
    $('trend-metric').addEventListener('change', (e) => go({ metric: e.target.value }));
    $('compare-metric').addEventListener('change', (e) => go({ cmpMetric: e.target.value }));
    $('period').addEventListener('change', (e) => go({ period: e.target.value }));
    $('lang-toggle').addEventListener('click', () => go({ lang: state.lang === 'zh' ? 'en' : 'zh' }));
    $('token-button').addEventListener('click', async () => { await askToken(); loadBranches(h.branch); });
    window.addEventListener('resize', () => Object.values(charts).forEach((c) => c.resize()));
    await loadBranches(h.branch);
  }
  // loadBranches reads the hierarchy in the token's scope and shows want (or the scope's root).
  async function loadBranches(want) {
    try {
      const bl = await api('branches');
      state.scope = bl.scope || 'ALL';
      state.branches = bl.branches || [];
      state.byId = Object.fromEntries(state.branches.map((b) => [b.id, b]));
    } catch (err) {
      showBanner(failText(err), true);
      return;
    }
    want = want || state.branch;
    state.branch = want && (state.byId[want] || want === state.scope) ? want : state.scope;
    await refresh();
  }
  start();
})();
