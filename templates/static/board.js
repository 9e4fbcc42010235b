// The live board: an EventSource on the page's stream receives the board's JSON at once and
// after every handover-day write, and redraws the totals, the KPIs, the building table and the
// hourly bars in place. The browser reconnects by itself; the badge says when it is offline.
(function () {
  const root = document.getElementById('board');
  if (!root || !window.EventSource) return;
  const en = root.dataset.lang === 'en';
  const live = root.querySelector('.board-live');
  const hoursEl = document.getElementById('board-hours');
  const buildingsEl = document.getElementById('board-buildings');
  const COLUMNS = ['appointments', 'checked_in', 'in_walkthrough', 'accepted', 'refused', 'only_looked'];

  // Counts get thousands separators in English only (UI.md).
  const count = (n) => (en ? Number(n).toLocaleString('en-US') : String(n));
  const percent = (r) => (r.value === null ? '—' : (r.value * 100).toFixed(1) + '%');
  const average = (r) => (r.value === null ? '—' : r.value.toFixed(2));
  const esc = (s) => String(s).replace(/[&<>"']/g, (ch) => '&#' + ch.charCodeAt(0) + ';');

  function set(key, text) {
    const el = root.querySelector('[data-k="' + key + '"]');
    if (el) el.textContent = text;
  }

  function kpi(key, ratio, format) {
    set('kpi.' + key, format(ratio));
    set('kpi.' + key + '.n', count(ratio.numerator));
    set('kpi.' + key + '.d', count(ratio.denominator));
  }

  function buildings(rows) {
    buildingsEl.innerHTML = rows
      .map((r) => '<tr><th>' + esc(r.building) + '</th>' +
        COLUMNS.map((k) => '<td class="num">' + count(r.counts[k]) + '</td>').join('') + '</tr>')
      .join('');
  }

  // 8:00–18:00 at least, widened to every hour with activity (as the server draws it).
  function hours(all) {
    const empty = (c) => COLUMNS.every((k) => c[k] === 0);
    const active = all.filter((h) => !empty(h.counts)).map((h) => h.hour);
    const first = Math.min(8, active.length ? active[0] : 8);
    const last = Math.max(18, active.length ? active[active.length - 1] : 18);
    const shown = all.filter((h) => h.hour >= first && h.hour <= last);
    const scale = Math.max(1, ...shown.map((h) =>
      Math.max(h.counts.appointments, h.counts.checked_in, h.counts.accepted)));
    const bar = (cls, label, n) => '<i class="bar ' + cls + '" style="height:' +
      Math.floor(n * 100 / scale) + '%" title="' + esc(label) + ' ' + n + '"></i>';
    const d = hoursEl.dataset;
    hoursEl.innerHTML = shown.map((h) => '<div class="hour" data-hour="' + h.hour + '">' +
      '<div class="stack">' + bar('appt', d.appt, h.counts.appointments) +
      bar('checked', d.checked, h.counts.checked_in) + bar('accepted', d.accepted, h.counts.accepted) +
      '</div><b>' + h.counts.checked_in + '/' + h.counts.accepted + '</b><span>' + h.hour + ':00</span></div>')
      .join('');
  }

  function render(b) {
    root.dataset.version = b.version;
    set('day', b.day);
    COLUMNS.forEach((k) => set('totals.' + k, count(b.totals[k])));
    kpi('concentrated', b.kpis.concentrated_delivery_rate, percent);
    kpi('zero_defect', b.kpis.zero_defect_delivery_rate, percent);
    kpi('avg_defects', b.kpis.avg_defects_per_unit, average);
    set('kpi.scattered', count(b.kpis.scattered_deliveries));
    buildings(b.buildings);
    hours(b.hours);
    const t = new Date(b.generated_at);
    // Shown in Asia/Shanghai whatever the screen's own zone.
    set('updated', t.toLocaleTimeString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false }));
  }

  function status(ok) {
    live.textContent = ok ? live.dataset.live : live.dataset.offline;
    live.classList.toggle('off', !ok);
  }

  const source = new EventSource(root.dataset.events);
  source.addEventListener('board', (e) => {
    render(JSON.parse(e.data));
    status(true);
  });
  source.addEventListener('open', () => status(true));
  source.addEventListener('error', () => status(false));
})();
