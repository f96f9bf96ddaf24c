// Brevet console: the policy editor (templates/_policyeditor.html).
// Validates the document as it is typed, with Brevet's own validator
// (POST /console/api/policy/validate), and offers a generator that
// appends statements to it (replacing a lone empty placeholder statement). The textarea works without this script.
'use strict';
(() => {
  const VERSION = '2012-10-17';

  // api calls a console JSON endpoint with the page's CSRF token.
  async function api(ed, method, path, body) {
    const init = { method, headers: { 'X-CSRF-Token': ed.dataset.csrf || '' }, credentials: 'same-origin' };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch(path, init);
    if (!res.ok) throw new Error('HTTP ' + res.status);
    return res.json();
  }

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function list(s) {
    return (s || '').split(/[,\n]/).map((x) => x.trim()).filter((x) => x !== '');
  }

  // showResult writes the validator's answer under the textarea.
  function showResult(box, ta, out) {
    box.replaceChildren();
    const errors = out.errors || [];
    const warnings = out.warnings || [];
    ta.setAttribute('aria-invalid', errors.length ? 'true' : 'false');
    if (!errors.length && !warnings.length) {
      box.append(el('p', { class: 'policy-ok' }, 'The policy is valid.'));
      return;
    }
    if (errors.length) {
      const ul = el('ul', { class: 'policy-errors' });
      for (const e of errors) {
        const where = e.line ? 'Line ' + e.line + ', column ' + e.column + ': ' : '';
        const li = el('li', {}, where + e.message);
        if (e.line) {
          const b = el('button', { type: 'button', class: 'linkish' }, 'Go to');
          b.addEventListener('click', () => gotoLine(ta, e.line, e.column));
          li.append(' ', b);
        }
        ul.append(li);
      }
      box.append(el('p', { class: 'policy-bad' }, errors.length === 1 ? 'Error' : 'Errors'), ul);
    }
    if (warnings.length) {
      const ul = el('ul', { class: 'policy-warnings' });
      for (const w of warnings) ul.append(el('li', {}, w.message));
      box.append(el('p', { class: 'policy-warn' }, warnings.length === 1 ? 'Warning' : 'Warnings'), ul);
    }
  }

  // gotoLine puts the caret at line:column (1-based) of the textarea.
  // The validator counts columns in characters (code points), the
  // textarea's offsets in UTF-16 units: an emoji is one and two.
  function gotoLine(ta, line, column) {
    const lines = ta.value.split('\n');
    let off = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) off += lines[i].length + 1;
    const text = lines[Math.min(line, lines.length) - 1] || '';
    off += Array.from(text).slice(0, Math.max(0, (column || 1) - 1)).join('').length;
    ta.focus();
    ta.setSelectionRange(off, off);
  }

  function setupValidation(ed, ta, box) {
    let timer = 0;
    let seq = 0;
    const run = async () => {
      const mine = ++seq;
      if (ta.value.trim() === '') {
        box.replaceChildren();
        ta.removeAttribute('aria-invalid');
        return;
      }
      try {
        const out = await api(ed, 'POST', '/console/api/policy/validate', { document: ta.value, type: ta.dataset.policyType || 'identity' });
        if (mine === seq) showResult(box, ta, out);
      } catch (err) {
        if (mine === seq) box.replaceChildren(el('p', { class: 'help' }, 'The policy could not be checked (' + err.message + ').'));
      }
    };
    ta.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(run, 300);
    });
    // A document being started (no statement yet) is not checked until
    // it is typed in; anything else is, so a form shown again with an
    // error shows where.
    if (ta.value.trim() !== '' && !/"Statement"\s*:\s*\[\s*\]/.test(ta.value)) run();
  }

  // The generator's state: the chosen service's reference data.
  function setupGenerator(ed, ta) {
    const g = (name) => ed.querySelector('[data-gen="' + name + '"]');
    const svcSel = g('service');
    const actionsBox = g('actions');
    const filter = g('filter');
    const rows = g('arn-rows');
    const keys = g('keys');
    const status = g('status');
    let svc = null;

    api(ed, 'GET', '/console/api/services').then((out) => {
      for (const p of out.services || []) svcSel.append(el('option', { value: p }, p));
    }).catch(() => {});

    function renderActions() {
      for (const n of actionsBox.querySelectorAll('.gen-action')) n.remove();
      const empty = g('actions-empty');
      if (!svc) {
        empty.hidden = false;
        return;
      }
      const f = (filter.value || '').toLowerCase();
      let shown = 0;
      svc.actions.forEach((a, i) => {
        if (f && !a.name.toLowerCase().includes(f)) return;
        const id = ed.id + '-act-' + i;
        const d = el('div', { class: 'gen-action' });
        const cb = el('input', { type: 'checkbox', id, value: svc.prefix + ':' + a.name });
        cb.checked = !!a.checked;
        cb.addEventListener('change', () => {
          a.checked = cb.checked;
          renderResources();
        });
        d.append(cb, el('label', { for: id, class: 'inline' }, a.name));
        actionsBox.append(d);
        shown++;
      });
      empty.hidden = shown > 0;
      empty.textContent = shown ? '' : 'No action matches.';
    }

    // renderResources offers an ARN row per resource type of the chosen
    // actions, with an input per ${Placeholder} of its ARN template.
    function renderResources() {
      if (!rows) return;
      rows.replaceChildren();
      if (!svc) return;
      const types = new Map();
      for (const a of svc.actions) {
        if (!a.checked) continue;
        for (const rt of a.resourceTypes || []) if (rt.arn) types.set(rt.name, rt.arn);
      }
      let n = 0;
      for (const [name, arn] of types) {
        const row = el('fieldset', { class: 'gen-arn', 'data-arn': arn });
        row.append(el('legend', {}, name + ': ' + arn));
        for (const ph of new Set((arn.match(/\$\{[^}]+\}/g) || []))) {
          const key = ph.slice(2, -1);
          const id = ed.id + '-ph-' + n++;
          const input = el('input', { type: 'text', id, 'data-ph': ph, autocomplete: 'off' });
          if (key === 'Partition') input.value = 'aws';
          input.placeholder = '*';
          const wrap = el('div', { class: 'gen-ph' });
          wrap.append(el('label', { for: id }, key), input);
          row.append(wrap);
        }
        const useId = ed.id + '-use-' + n++;
        const use = el('input', { type: 'checkbox', id: useId, 'data-use': '1' });
        use.checked = true;
        const wrap = el('div');
        wrap.append(use, el('label', { for: useId, class: 'inline' }, 'Include this resource'));
        row.append(wrap);
        rows.append(row);
      }
    }

    svcSel.addEventListener('change', async () => {
      svc = null;
      keys.replaceChildren();
      renderActions();
      renderResources();
      const p = svcSel.value;
      if (!p) return;
      try {
        const out = await api(ed, 'GET', '/console/api/services/' + encodeURIComponent(p));
        svc = { prefix: out.prefix, actions: out.actions || [] };
        for (const k of out.conditionKeys || []) keys.append(el('option', { value: k.key }));
      } catch (err) {
        status.textContent = 'The actions of ' + p + ' could not be loaded (' + err.message + ').';
      }
      renderActions();
      renderResources();
    });
    filter.addEventListener('input', renderActions);

    g('add').addEventListener('click', () => {
      const stmt = build();
      if (!stmt) return;
      let doc;
      const text = ta.value.trim();
      if (text === '') {
        doc = { Version: VERSION, Statement: [] };
      } else {
        try {
          doc = JSON.parse(text);
        } catch (e) {
          status.textContent = 'The document is not valid JSON yet; fix it before adding a statement.';
          return;
        }
        if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
          status.textContent = 'The document is not a JSON object; fix it before adding a statement.';
          return;
        }
        if (!doc.Version) doc.Version = VERSION;
        if (doc.Statement === undefined) doc.Statement = [];
        else if (!Array.isArray(doc.Statement)) doc.Statement = [doc.Statement];
      }
      // A lone placeholder statement (no action, no resource) is replaced.
      if (doc.Statement.length === 1 && isPlaceholder(doc.Statement[0])) doc.Statement = [];
      doc.Statement.push(stmt);
      ta.value = JSON.stringify(doc, null, 2);
      ta.dispatchEvent(new Event('input'));
      status.textContent = 'Statement ' + doc.Statement.length + ' added.';
      for (const a of (svc ? svc.actions : [])) a.checked = false;
      for (const k of ['typed', 'arns', 'key', 'value']) if (g(k)) g(k).value = '';
      g('op').value = '';
      if (g('any')) g('any').checked = false;
      renderActions();
      renderResources();
    });

    // build makes the statement the generator's fields describe.
    function build() {
      const actions = [];
      if (svc) for (const a of svc.actions) if (a.checked) actions.push(svc.prefix + ':' + a.name);
      actions.push(...list(g('typed').value));
      if (!actions.length) {
        status.textContent = 'Choose or type at least one action.';
        return null;
      }
      const stmt = { Effect: g('effect').value };
      const pr = g('principal');
      if (pr) {
        const p = pr.value.trim();
        if (p === '*') stmt.Principal = '*';
        else if (/\.amazonaws\.com$/.test(p)) stmt.Principal = { Service: p };
        else if (/^arn:[^:]*:iam::[^:]*:(saml|oidc)-provider\//.test(p)) stmt.Principal = { Federated: p };
        else if (p !== '') stmt.Principal = { AWS: p };
      }
      stmt.Action = actions.length === 1 ? actions[0] : actions;
      if (g('resources')) {
        const res = [];
        if (g('any').checked) res.push('*');
        for (const row of (rows ? rows.querySelectorAll('.gen-arn') : [])) {
          if (!row.querySelector('[data-use]').checked) continue;
          let arn = row.dataset.arn;
          for (const i of row.querySelectorAll('[data-ph]')) arn = arn.split(i.dataset.ph).join(i.value.trim() || '*');
          res.push(arn);
        }
        res.push(...list(g('arns').value));
        if (!res.length) {
          status.textContent = 'Choose resources: fill in an ARN, tick "Any resource", or type ARNs.';
          return null;
        }
        stmt.Resource = res.length === 1 ? res[0] : [...new Set(res)];
      }
      const op = g('op').value;
      const key = g('key').value.trim();
      if (op && key) {
        const vals = list(g('value').value);
        stmt.Condition = { [op]: { [key]: vals.length === 1 ? vals[0] : vals } };
      } else if (op || key) {
        status.textContent = 'A condition needs both an operator and a key.';
        return null;
      }
      return stmt;
    }
  }

  // isPlaceholder tells an empty statement skeleton, such as
  // {"Effect": "Allow", "Action": [], "Resource": []}, that says nothing yet.
  function isPlaceholder(st) {
    if (st === null || typeof st !== 'object' || Array.isArray(st)) return false;
    const empty = (v) => v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
    for (const [k, v] of Object.entries(st)) {
      if (k === 'Effect' || k === 'Sid') continue;
      if (!empty(v)) return false;
    }
    return true;
  }

  function init() {
    for (const ed of document.querySelectorAll('.policy-editor')) {
      if (ed.dataset.ready) continue;
      ed.dataset.ready = '1';
      const ta = ed.querySelector('textarea');
      const box = ed.querySelector('.policy-result');
      if (!ta || !box) continue;
      setupValidation(ed, ta, box);
      setupGenerator(ed, ta);
    }
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
