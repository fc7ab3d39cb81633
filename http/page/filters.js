// The filter editor: rows of field / operator / value over the collection's metadata fields (as
// GET /collections/{name} reports them in "metadata_fields"), joined with "and" into the API's filter
// JSON ({"field","eq"} / {"field","in"} / {"field","range":{"gte","lte"}}). A row applies when it
// changes (Enter or leaving the box). A filter from the URL that rows cannot show (or, not, ...) is
// kept and sent as it is, shown as JSON with a button to drop it.

const OPS = { eq: '=', in: 'in', range: 'range' };

function el(tag, props = {}, ...children) {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

export class FilterEditor {
  constructor(container, onChange) {
    this.box = container;
    this.onChange = onChange;
    this.fields = [];
    this.rows = [];      // {field, op, value, min, max}
    this.custom = null;  // a filter the rows cannot show
    this.loaded = false;
  }

  // null: no collection is open (nothing to offer, nothing to say); [] : it has no metadata fields.
  setFields(fields) {
    this.fields = fields || [];
    this.loaded = fields !== null;
    this.render();
  }

  info(name) { return this.fields.find((f) => f.field === name) || { field: name, types: ['string'] }; }

  opsFor(name) {
    const t = this.info(name).types;
    if (t.length === 1 && t[0] === 'boolean') return ['eq'];
    return t.includes('number') ? ['eq', 'in', 'range'] : ['eq', 'in'];
  }

  // Text typed into a box -> the JSON value the field holds (types never mix in the API: "2000" is not 2000).
  parseValue(name, text) {
    const t = this.info(name).types;
    const s = text.trim();
    if (!s) return undefined;
    if (t.includes('number') && !t.includes('string')) return Number.isFinite(Number(s)) ? Number(s) : undefined;
    if (t.includes('boolean') && !t.includes('string')) return s === 'true' ? true : s === 'false' ? false : undefined;
    if (t.includes('number') && /^-?\d+(\.\d+)?$/.test(s)) return Number(s);
    return s;
  }

  condition(row) {
    if (row.op === 'range') {
      const range = {};
      const lo = this.parseValue(row.field, row.min || ''), hi = this.parseValue(row.field, row.max || '');
      if (typeof lo === 'number') range.gte = lo;
      if (typeof hi === 'number') range.lte = hi;
      return Object.keys(range).length ? { field: row.field, range } : null;
    }
    if (row.op === 'in') {
      const values = (row.value || '').split(',').map((v) => this.parseValue(row.field, v)).filter((v) => v !== undefined);
      return values.length ? { field: row.field, in: values } : null;
    }
    const v = this.parseValue(row.field, row.value || '');
    return v === undefined ? null : { field: row.field, eq: v };
  }

  filter() {
    if (this.custom) return this.custom;
    const conds = this.rows.map((r) => this.condition(r)).filter(Boolean);
    if (conds.length === 0) return null;
    return conds.length === 1 ? conds[0] : { and: conds };
  }

  static rowOf(c) {
    if (!c || typeof c.field !== 'string') return null;
    const keys = Object.keys(c).filter((k) => k !== 'field');
    if (keys.length !== 1) return null;
    const [k] = keys;
    if (k === 'eq' && ['string', 'number', 'boolean'].includes(typeof c.eq)) return { field: c.field, op: 'eq', value: String(c.eq) };
    if (k === 'in' && Array.isArray(c.in)) return { field: c.field, op: 'in', value: c.in.join(', ') };
    if (k === 'range' && c.range && Object.keys(c.range).every((b) => b === 'gte' || b === 'lte'))
      return { field: c.field, op: 'range', min: c.range.gte === undefined ? '' : String(c.range.gte),
               max: c.range.lte === undefined ? '' : String(c.range.lte) };
    return null;
  }

  setFilter(f) {
    this.rows = [];
    this.custom = null;
    if (f) {
      const conds = f.and && Array.isArray(f.and) ? f.and : [f];
      const rows = conds.map(FilterEditor.rowOf);
      if (rows.every(Boolean)) this.rows = rows;
      else this.custom = f;
    }
    this.render();
  }

  // Re-renders (rows changed shape) and puts the keyboard focus back on the same control.
  changed(focusSelector) {
    this.render();
    if (focusSelector) this.box.querySelector(focusSelector)?.focus();
    this.onChange(this.filter());
  }

  markValidity(box, row, key) {
    const text = box.value.trim();
    const ok = !text || (key === 'value' ? this.condition(row) !== null : typeof this.parseValue(row.field, text) === 'number');
    if (ok) box.removeAttribute('aria-invalid');
    else box.setAttribute('aria-invalid', 'true');
  }

  render() {
    this.box.replaceChildren();
    if (this.custom) {
      const drop = el('button', { type: 'button', textContent: 'Remove this filter' });
      drop.addEventListener('click', () => { this.custom = null; this.changed('#add-filter'); });
      this.box.append(el('p', { className: 'custom-filter' }, 'Filter from the URL: ',
        el('code', { textContent: JSON.stringify(this.custom) }), ' ', drop));
      return;
    }
    if (!this.loaded) return;
    if (this.fields.length === 0) {
      this.box.append(el('p', { className: 'hint', textContent: 'This collection\'s documents have no metadata fields to filter on.' }));
      return;
    }
    this.rows.forEach((row, i) => this.box.append(this.renderRow(row, i)));
    const add = el('button', { type: 'button', id: 'add-filter', textContent: '+ Add a filter' });
    add.addEventListener('click', () => {
      this.rows.push({ field: this.fields[0].field, op: 'eq', value: '' });
      this.render();
      this.box.querySelectorAll('.f-value, .f-min')[this.rows.length - 1]?.focus();
    });
    this.box.append(add);
  }

  renderRow(row, i) {
    const info = this.info(row.field);
    const field = el('select', { className: 'f-field', title: 'Metadata field' });
    field.setAttribute('aria-label', `Filter ${i + 1}: field`);
    for (const f of this.fields) field.append(el('option', { value: f.field, textContent: `${f.field} (${f.types.join('/')})` }));
    field.value = row.field;
    field.addEventListener('change', () => {
      row.field = field.value;
      if (!this.opsFor(row.field).includes(row.op)) row.op = 'eq';
      this.changed(`.filter-row:nth-of-type(${i + 1}) .f-field`);
    });
    const op = el('select', { className: 'f-op' });
    op.setAttribute('aria-label', `Filter ${i + 1}: operator`);
    for (const o of this.opsFor(row.field)) op.append(el('option', { value: o, textContent: OPS[o] }));
    op.value = row.op;
    op.addEventListener('change', () => { row.op = op.value; this.changed(`.filter-row:nth-of-type(${i + 1}) .f-op`); });
    const parts = [field, op];
    const input = (cls, key, label, placeholder) => {
      const box = el('input', { className: cls, type: 'text', value: row[key] || '', placeholder });
      box.setAttribute('aria-label', `Filter ${i + 1}: ${label}`);
      if (info.values) box.setAttribute('list', `filter-values-${i}`);
      // A value change keeps the rows' shape: no re-render, the focus stays where it is.
      box.addEventListener('change', () => {
        row[key] = box.value;
        this.markValidity(box, row, key);
        this.onChange(this.filter());
      });
      this.markValidity(box, row, key);
      return box;
    };
    if (row.op === 'range') {
      const lo = Number.isFinite(info.min) ? `from (min ${info.min})` : 'from';
      const hi = Number.isFinite(info.max) ? `to (max ${info.max})` : 'to';
      parts.push(input('f-min', 'min', 'from', lo), input('f-max', 'max', 'to', hi));
    } else {
      parts.push(input('f-value', 'value', 'value', row.op === 'in' ? 'a, b, c' : 'value'));
    }
    if (info.values) {
      const list = el('datalist', { id: `filter-values-${i}` });
      for (const v of info.values) list.append(el('option', { value: v }));
      parts.push(list);
    }
    const remove = el('button', { type: 'button', className: 'f-remove', textContent: '\u00d7', title: 'Remove this filter' });
    remove.setAttribute('aria-label', `Remove filter ${i + 1}`);
    remove.addEventListener('click', () => { this.rows.splice(i, 1); this.changed('#add-filter'); });
    parts.push(remove);
    return el('div', { className: 'filter-row' }, ...parts);
  }
}
