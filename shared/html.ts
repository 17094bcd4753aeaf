// HTML escaping for pages rendered on the server (status page, report.html): site names, errors and
// experiment names come from configs and workers, so every such text goes through this.
export function escapeHtml(s: unknown): string {
  return String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}
