import type { ComponentChildren } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';

/**
 * A scrolling list that renders only the rows in view (plus a margin), so 10,000 rows cost as
 * much as 40. Rows have one fixed height.
 */
export function VirtualList<T>(props: {
  items: T[];
  rowHeight: number;
  render: (item: T, index: number) => ComponentChildren;
  overscan?: number;
}) {
  const viewport = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  useLayoutEffect(() => {
    const element = viewport.current;
    if (!element) return;
    const observer = new ResizeObserver(() => setHeight(element.clientHeight));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  const overscan = props.overscan ?? 10;
  const first = Math.max(0, Math.floor(scrollTop / props.rowHeight) - overscan);
  const last = Math.min(
    props.items.length,
    Math.ceil((scrollTop + height) / props.rowHeight) + overscan,
  );
  const rows = [];
  for (let i = first; i < last; i++) {
    rows.push(
      <div
        class="vrow"
        key={i}
        style={{ top: `${i * props.rowHeight}px`, height: `${props.rowHeight}px` }}
      >
        {props.render(props.items[i]!, i)}
      </div>,
    );
  }
  return (
    <div class="viewport" ref={viewport} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}>
      <div class="spacer" style={{ height: `${props.items.length * props.rowHeight}px` }}>
        {rows}
      </div>
    </div>
  );
}
