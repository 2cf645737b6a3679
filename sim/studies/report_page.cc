#include "sim/studies/report_page.h"

#include <fmt/format.h>

#include "sim/studies/report_text.h"

namespace servesim {
namespace {

constexpr const char* kStyle = R"(
body{font-family:system-ui,"Segoe UI",Helvetica,Arial,sans-serif;margin:1.5em auto;max-width:1240px;padding:0 1em;color:#222;line-height:1.4}
h2{border-bottom:2px solid #0072B2;padding-bottom:.2em;margin-top:2em}
nav{line-height:1.8}
.scroll{overflow-x:auto}
table{border-collapse:collapse;margin:.8em 0 1.4em;font-size:14px;font-variant-numeric:tabular-nums}
caption{caption-side:top;text-align:left;padding:.3em 0 .5em;color:#333;max-width:1100px}
th{background:#e8eef5;cursor:pointer;user-select:none;vertical-align:bottom}
td{white-space:nowrap}
th,td{border:1px solid #cdd3dc;padding:4px 8px}
td[data-v]{text-align:right}
tbody tr:nth-child(even) td{background:#f6f8fa}
th[aria-sort=ascending]::after{content:" \25B2"}
th[aria-sort=descending]::after{content:" \25BC"}
tr.best td,tbody tr.best:nth-child(even) td{background:#fff0b3;font-weight:600}
tr.muted td{color:#888;font-style:italic}
td[title]{text-decoration:underline dotted}
.figs{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:1.2em}
figure{margin:0;border:1px solid #dde2e8;padding:.5em;background:#fff}
figure img{width:100%;height:auto}
figcaption{font-size:14px;color:#333;margin-top:.3em}
figcaption a{color:#777}
)";

// Sorts a table by a clicked header: numbers by their data-v, text otherwise, blanks last;
// clicking again reverses. Marks the page with data-sortable-tables when it has run, and with
// data-plots-loaded ("N of M") once the images have loaded.
constexpr const char* kScript = R"(
(function () {
  function num(td) { var v = td.getAttribute('data-v'); return v === null ? null : parseFloat(v); }
  function sortBy(table, col, desc) {
    var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
    var numeric = rows.some(function (r) { return num(r.cells[col]) !== null; });
    rows.sort(function (a, b) {
      var x, y;
      if (numeric) {
        x = num(a.cells[col]); y = num(b.cells[col]);
        if (x === null || y === null) return (x === null) - (y === null);
        return desc ? y - x : x - y;
      }
      x = a.cells[col].textContent; y = b.cells[col].textContent;
      if (x === '' || y === '') return (x === '') - (y === '');
      return (desc ? -1 : 1) * x.localeCompare(y);
    });
    rows.forEach(function (r) { body.appendChild(r); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      th.setAttribute('aria-sort', i === col ? (desc ? 'descending' : 'ascending') : 'none');
    });
  }
  var tables = document.querySelectorAll('table.sortable');
  Array.prototype.forEach.call(tables, function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      th.addEventListener('click', function () {
        sortBy(table, i, th.getAttribute('aria-sort') === 'ascending');
      });
    });
  });
  var m = /^#sort=([\w-]+):(\d+)(:desc)?$/.exec(location.hash);
  var t = m && document.getElementById(m[1]);
  if (t && t.tHead && +m[2] < t.tHead.rows[0].cells.length) sortBy(t, +m[2], !!m[3]);
  document.documentElement.setAttribute('data-sortable-tables', String(tables.length));
  window.addEventListener('load', function () {
    var imgs = document.querySelectorAll('figure img'), ok = 0;
    Array.prototype.forEach.call(imgs, function (i) { if (i.naturalWidth > 0) ok++; });
    document.documentElement.setAttribute('data-plots-loaded', ok + ' of ' + imgs.length);
  });
})();
)";

std::string Figures(const std::vector<NamedPlot>& plots) {
  if (plots.empty()) return "";
  std::string h = "<div class=\"figs\">\n";
  for (const NamedPlot& p : plots) {
    h += fmt::format(
        "<figure><img src=\"{0}\" alt=\"{1}\"><figcaption>{2} <a href=\"{0}.gp\">(gnuplot "
        "script)</a></figcaption></figure>\n",
        Html(p.file), Html(p.plot.title), Html(p.caption));
  }
  return h + "</div>\n";
}

}  // namespace

std::string ReportPage(const std::vector<std::string>& inputs,
                       const std::vector<ReportSection>& sections) {
  std::string inputs_list, contents, body;
  for (const std::string& p : inputs) {
    inputs_list += fmt::format("{}<code>{}</code>", inputs_list.empty() ? "" : ", ", Html(p));
  }
  for (const ReportSection& s : sections) {
    contents += fmt::format("{}<a href=\"#{}\">{}</a>", contents.empty() ? "" : " · ", Html(s.id),
                            Html(s.title));
    body += fmt::format("<section id=\"{}\">\n<h2>{}</h2>\n", Html(s.id), Html(s.title));
    if (!s.intro.empty()) body += fmt::format("<p>{}</p>\n", Html(s.intro));
    for (const HtmlTable& t : s.tables)
      body += "<div class=\"scroll\">" + RenderTable(t) + "</div>\n";
    body += Figures(s.plots) + "</section>\n";
  }
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">{}\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>servesim report</title>\n<style>{}</style></head><body>\n"
      "<h1>servesim report</h1>\n<p>Written by servesim {} from {}.</p>\n"
      "<nav>Contents: {}</nav>\n{}<script>{}</script>\n</body></html>\n",
      kReportGenerator, kStyle, SERVESIM_VERSION, inputs_list, contents, body, kScript);
}

}  // namespace servesim
