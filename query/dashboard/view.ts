/**
 * DOM helpers. Everything from the stores (types, keys, reasons) is user data, so it only ever goes in as text
 * (textContent), never as HTML.
 */

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

export function setText(id: string, text: string): void {
  byId(id).textContent = text;
}

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

export const formatCount = (n: number): string => integer.format(n);
export const formatRate = (n: number): string => decimal.format(n);
/** Latencies are bucket upper bounds from 1 ms to minutes; seconds read better once past one. */
export function formatMs(ms: number | null): string {
  if (ms === null) return '—';
  return ms < 1000 ? `${decimal.format(ms)} ms` : `${decimal.format(ms / 1000)} s`;
}

/** Local time; the date too when it is not today, so old events do not pass for new ones. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const at = new Date(iso);
  const time = at.toLocaleTimeString(undefined, { hour12: false });
  return at.toDateString() === new Date().toDateString() ? time : `${at.toLocaleDateString()} ${time}`;
}

export type Tone = 'muted' | 'error';

/**
 * A panel's state line: loading, a store being down, "nothing yet", or a count. Empty text hides it, so a panel
 * that shows data has no stray line.
 */
export function setNote(id: string, text: string, tone: Tone = 'muted'): void {
  const note = byId(id);
  note.textContent = text;
  note.hidden = text === '';
  note.className = `note ${tone}`;
}

export interface Column<R> {
  readonly label: string;
  readonly cell: (row: R) => string;
  /** Monospace: ids and keys, which are compared by eye character by character. */
  readonly code?: boolean;
  /**
   * Free text (error messages): a line of its own under the row, across the table, cut to one line with the whole
   * text on hover (title) and on a click; as a column it squeezed to a word per line in a half-width panel.
   */
  readonly detail?: boolean;
}

// Past this many characters a cell may be cut off with an ellipsis, so it carries its whole text as a tooltip.
const LONG_CELL = 24;

/** Replaces a table's body (and header, the first time) with the rows; the note says why when there are none. */
export function renderTable<R>(tableId: string, columns: ReadonlyArray<Column<R>>, rows: readonly R[]): void {
  const table = byId<HTMLTableElement>(tableId);
  const inline = columns.filter((column) => !column.detail);
  const details = columns.filter((column) => column.detail);
  if (!table.tHead) {
    const head = table.createTHead().insertRow();
    for (const column of inline) {
      const th = document.createElement('th');
      th.textContent = column.label;
      head.append(th);
    }
  }
  const body = document.createElement('tbody');
  for (const row of rows) {
    const tr = body.insertRow();
    for (const column of inline) {
      const td = tr.insertCell();
      const text = column.cell(row);
      td.textContent = text;
      // On a phone the rows stack and each cell is labelled from this (dashboard.css).
      td.dataset.label = column.label;
      if (column.code) td.className = 'code';
      if (text.length > LONG_CELL) td.title = text;
    }
    for (const column of details) {
      const text = column.cell(row);
      if (text === '') continue;
      const td = body.insertRow().insertCell();
      td.colSpan = inline.length;
      td.dataset.label = column.label;
      const clip = document.createElement('div');
      clip.className = 'clip';
      clip.textContent = text;
      clip.title = text;
      clip.addEventListener('click', () => clip.classList.toggle('open'));
      td.append(clip);
      td.parentElement!.className = 'detail';
    }
  }
  table.tBodies[0]?.remove();
  table.append(body);
  table.hidden = rows.length === 0;
}

/** Horizontal bars, widths relative to the largest count: readable with 3 types or 30, with no chart needed. */
export function renderBars(listId: string, items: ReadonlyArray<{ value: string; count: number }>): void {
  const list = byId(listId);
  const max = Math.max(1, ...items.map((item) => item.count));
  list.replaceChildren(
    ...items.map((item) => {
      const row = document.createElement('li');
      const label = document.createElement('span');
      label.className = 'bar-label';
      label.textContent = item.value;
      label.title = item.value;
      const track = document.createElement('span');
      track.className = 'bar-track';
      const fill = document.createElement('span');
      fill.className = 'bar-fill';
      fill.style.width = `${(item.count / max) * 100}%`;
      track.append(fill);
      const count = document.createElement('span');
      count.className = 'bar-count';
      count.textContent = formatCount(item.count);
      row.append(label, track, count);
      return row;
    }),
  );
}
