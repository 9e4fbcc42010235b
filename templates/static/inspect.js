// Handover: the unit inspection page on a tablet (no dependencies, no build step).
//
// Without this script every form on the page still works with a plain post and a reload. With
// it, saving a checklist item is a small fetch() that updates the item and the progress in
// place; the defect form opens as a bottom sheet, previews the camera photos before saving,
// places a pin on the floor plan with one tap, and keeps everything when a save fails. The last
// participants and the last trade, room and severity are remembered per user (localStorage).
(function () {
  'use strict';
  var root = document.getElementById('inspect');
  if (!root) return;
  document.documentElement.classList.add('js');

  function msg(name) { return root.getAttribute('data-msg-' + name) || ''; }
  var prefix = 'handover:' + root.getAttribute('data-user') + ':';
  function remember(name, value) {
    try { localStorage.setItem(prefix + name, JSON.stringify(value)); } catch (e) { /* private mode */ }
  }
  function recall(name) {
    try { return JSON.parse(localStorage.getItem(prefix + name) || 'null'); } catch (e) { return null; }
  }

  var toastTimer = null;
  function toast(text, bad) {
    var el = document.getElementById('insp-toast');
    if (!el) {
      el = document.createElement('div');
      el.id = 'insp-toast';
      el.setAttribute('role', 'status');
      document.body.appendChild(el);
    }
    el.className = 'toast' + (bad ? ' bad' : '');
    el.textContent = text;
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { el.hidden = true; }, bad ? 6000 : 2000);
  }

  // Posts `body` asking for JSON; resolves with the answer when it says ok, else rejects with
  // the message to show (ours, the error page's, or the network's).
  async function post(url, body) {
    var resp;
    try {
      resp = await fetch(url, {
        method: 'POST', body: body, credentials: 'same-origin',
        headers: { Accept: 'application/json' },
      });
    } catch (e) {
      throw new Error(msg('network'));
    }
    var type = resp.headers.get('content-type') || '';
    if (resp.ok && type.indexOf('application/json') >= 0) {
      var answer = await resp.json();
      if (answer.ok) return answer;
      throw new Error(answer.message || msg('page'));
    }
    if (type.indexOf('text/html') >= 0) {
      var doc = new DOMParser().parseFromString(await resp.text(), 'text/html');
      var shown = doc.querySelector('.error-message');
      if (shown && !resp.redirected) throw new Error(shown.textContent.trim());
    }
    throw new Error(msg('page'));
  }

  // Participants: last time's names fill the empty fields.
  var start = document.getElementById('start-form');
  if (start) {
    var people = recall('participants') || {};
    start.querySelectorAll('[data-remember]').forEach(function (input) {
      var key = input.getAttribute('data-remember');
      if (!input.value && people[key]) input.value = people[key];
    });
    start.addEventListener('submit', function () {
      var now = {};
      start.querySelectorAll('[data-remember]').forEach(function (input) {
        now[input.getAttribute('data-remember')] = input.value.trim();
      });
      remember('participants', now);
    });
  }

  // Checklist items.
  function progress(done, total) {
    var bar = document.querySelector('[data-progress]');
    if (!bar) return;
    bar.setAttribute('aria-valuenow', String(done));
    bar.firstElementChild.style.width = (total ? done * 100 / total : 0).toFixed(1) + '%';
    var text = document.querySelector('[data-progress-text]');
    if (text) text.textContent = msg('progress').replace('{done}', done).replace('{total}', total);
  }

  function showItem(form, a) {
    form.className = 'item out-' + a.outcome;
    form.querySelector('[data-result]').textContent = a.label;
    form.querySelector('[data-summary]').textContent = a.summary;
    form.querySelectorAll('button[name=outcome]').forEach(function (b) {
      if (b.value) b.setAttribute('aria-pressed', b.value === a.outcome ? 'true' : 'false');
    });
    var record = form.querySelector('.record-defect');
    if (record) record.hidden = !a.failed;
    progress(a.done, a.total);
    var count = document.querySelector('[data-trade-count="' + a.trade + '"]');
    if (count) count.textContent = a.trade_done + '/' + count.getAttribute('data-total');
    toast(a.message);
  }

  document.querySelectorAll('form[data-item]').forEach(function (form) {
    form.addEventListener('submit', async function (ev) {
      ev.preventDefault();
      var data = new URLSearchParams();
      new FormData(form).forEach(function (v, k) { data.append(k, v); });
      var by = ev.submitter;
      if (by && by.name) data.append(by.name, by.value);
      var buttons = form.querySelectorAll('button');
      var error = form.querySelector('[data-error]');
      buttons.forEach(function (b) { b.disabled = true; });
      error.hidden = true;
      try {
        showItem(form, await post(form.getAttribute('action'), data));
      } catch (e) {
        error.textContent = e.message;
        error.hidden = false;
        toast(e.message, true);
      } finally {
        buttons.forEach(function (b) { b.disabled = false; });
      }
    });
  });

  // The defect form as a bottom sheet.
  var sheet = document.getElementById('add-defect');
  var form = document.getElementById('defect-form');
  if (!sheet || !form) return;
  var fields = form.elements;
  var backdrop = null;

  function openSheet(prefill) {
    if (prefill) applyPrefill(prefill);
    else if (!checked('trade') && !checked('room') && !fields.description.value) restoreLast();
    sheet.classList.add('open');
    if (!backdrop) {
      backdrop = document.createElement('div');
      backdrop.className = 'sheet-backdrop';
      backdrop.addEventListener('click', closeSheet);
      document.body.appendChild(backdrop);
    }
    backdrop.hidden = false;
  }
  function closeSheet() {
    sheet.classList.remove('open');
    if (backdrop) backdrop.hidden = true;
  }
  document.querySelectorAll('[data-open-sheet]').forEach(function (a) {
    a.addEventListener('click', function (e) { e.preventDefault(); openSheet(null); });
  });
  document.querySelectorAll('.record-defect').forEach(function (a) {
    a.addEventListener('click', function (e) {
      e.preventDefault();
      openSheet({
        trade: a.getAttribute('data-defect-trade'),
        part: a.getAttribute('data-defect-part'),
        desc: a.getAttribute('data-defect-desc'),
      });
    });
  });
  sheet.querySelector('[data-close-sheet]').addEventListener('click', closeSheet);

  function mark(name) {
    form.querySelectorAll('input[name="' + name + '"]').forEach(function (r) {
      r.parentElement.classList.toggle('on', r.checked);
    });
  }
  function choose(name, value) {
    if (!value) return false;
    var r = form.querySelector('input[name="' + name + '"][value="' + CSS.escape(value) + '"]');
    if (!r) return false;
    r.checked = true;
    mark(name);
    return true;
  }
  function checked(name) {
    var r = form.querySelector('input[name="' + name + '"]:checked');
    return r ? r.value : '';
  }
  function tradeChanged() {
    var trade = checked('trade');
    form.querySelectorAll('.phrases').forEach(function (g) {
      g.classList.toggle('shown', g.getAttribute('data-trade') === trade);
    });
  }
  function applyPrefill(p) {
    choose('trade', p.trade);
    if (p.part && !choose('part', p.part)) fields.part_text.value = p.part;
    if (p.desc) fields.description.value = p.desc;
    tradeChanged();
  }
  function saveLast() {
    remember('defect', { trade: checked('trade'), room: checked('room'), severity: checked('severity') });
  }
  function restoreLast() {
    var last = recall('defect');
    if (!last) return;
    choose('trade', last.trade);
    if (!fields.room_text.value) choose('room', last.room);
    choose('severity', last.severity);
    tradeChanged();
  }

  form.addEventListener('change', function (e) {
    var t = e.target;
    if (t.type === 'radio') mark(t.name);
    if (t.name === 'trade') tradeChanged();
    if (t.name === 'room') fields.room_text.value = '';
    if (t.name === 'part') fields.part_text.value = '';
    if (t.name === 'trade' || t.name === 'room' || t.name === 'severity') saveLast();
  });
  form.addEventListener('click', function (e) {
    if (e.target.name === 'phrase') fields.description.value = e.target.value;
  });

  // Photos: each choice adds to the list; thumbnails are previewed and removable before saving.
  var photoInput = form.querySelector('[data-photos]');
  var thumbs = form.querySelector('[data-thumbs]');
  var photos = [];
  function renderThumbs() {
    thumbs.textContent = '';
    photos.forEach(function (file, i) {
      var b = document.createElement('button');
      b.type = 'button';
      b.title = msg('remove');
      b.setAttribute('aria-label', msg('remove'));
      var img = document.createElement('img');
      img.alt = '';
      img.src = URL.createObjectURL(file);
      img.onload = function () { URL.revokeObjectURL(img.src); };
      b.appendChild(img);
      b.addEventListener('click', function () { photos.splice(i, 1); renderThumbs(); });
      thumbs.appendChild(b);
    });
  }
  photoInput.addEventListener('change', function () {
    Array.prototype.forEach.call(photoInput.files, function (f) { photos.push(f); });
    photoInput.value = '';
    renderThumbs();
  });

  // One tap on the floor plan places the pin (fractions of the plan's width and height).
  var plan = form.querySelector('[data-plan]');
  if (plan) {
    var planImg = plan.querySelector('img');
    var pin = plan.querySelector('[data-pin-mark]');
    planImg.addEventListener('click', function (e) {
      var r = planImg.getBoundingClientRect();
      var x = Math.min(1, Math.max(0, (e.clientX - r.left) / r.width));
      var y = Math.min(1, Math.max(0, (e.clientY - r.top) / r.height));
      fields.pin_x.value = x.toFixed(4);
      fields.pin_y.value = y.toFixed(4);
      pin.style.left = (x * 100).toFixed(2) + '%';
      pin.style.top = (y * 100).toFixed(2) + '%';
      pin.hidden = false;
    });
    form.querySelector('[data-clear-pin]').addEventListener('click', function () {
      fields.pin_x.value = '';
      fields.pin_y.value = '';
      pin.hidden = true;
    });
  }

  var save = form.querySelector('[data-save-defect]');
  var saveLabel = save.textContent;
  var formError = form.querySelector('[data-form-error]');
  form.addEventListener('submit', async function (e) {
    e.preventDefault();
    var data = new FormData(form);
    data.delete('file');
    photos.forEach(function (f) { data.append('file', f, f.name || 'photo.jpg'); });
    save.disabled = true;
    save.textContent = msg('saving');
    formError.hidden = true;
    try {
      var answer = await post(form.getAttribute('action'), data);
      saveLast();
      toast(answer.message);
      window.location.assign(answer.redirect);
    } catch (err) {
      formError.textContent = err.message;
      formError.hidden = false;
      formError.scrollIntoView({ block: 'center' });
      save.disabled = false;
      save.textContent = saveLabel;
    }
  });

  tradeChanged();
  if (sheet.classList.contains('open') || window.location.hash === '#add-defect') openSheet(null);
})();
