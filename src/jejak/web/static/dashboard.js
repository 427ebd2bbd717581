// Case dashboard: the case's ingest jobs, polled while one is queued or running (live progress).
"use strict";
(function () {
  const box = document.getElementById("jobs");
  if (!box) return;
  const caseName = box.dataset.case;
  const list = document.getElementById("job-list");
  const base = "/cases/" + encodeURIComponent(caseName) + "/jobs";
  let timer = null;

  function describe(job) {
    const li = jejak.el("li", { "class": "job " + job.status, "data-job": String(job.id) });
    const sources = (job.params && job.params.sources) || [];
    li.appendChild(jejak.el("strong", {}, "#" + job.id + " " + job.status));
    li.appendChild(document.createTextNode(" " + sources.join(", ") + " · by " + job.submitted_by));
    const p = job.progress;
    if (job.status === "running" && p) {
      const bar = jejak.el("progress", { "aria-label": "files ingested", "max": "0" });
      bar.removeAttribute("max");  // indeterminate: the total is not known before the walk ends
      li.appendChild(jejak.el("div", { "class": "progress" }, p.files + " files, " + p.leaves_done +
        " items done, " + p.warnings + " warnings, " + Math.round(p.seconds) + " s"));
      li.appendChild(bar);
    } else if (job.status === "finished" && job.result) {
      const r = job.result;
      const files = (r.files !== undefined) ? r.files : "";
      li.appendChild(jejak.el("div", { "class": "progress" }, "finished " + (job.finished_at || "").slice(0, 16).replace("T", " ") +
        (files !== "" ? " · " + files + " files" : "")));
    } else if (job.status === "failed") {
      li.appendChild(jejak.el("div", { "class": "progress error" }, job.error || "failed"));
    }
    return li;
  }

  async function refresh() {
    let data;
    try {
      data = await jejak.api("GET", base + "?limit=20");
    } catch (e) {
      list.textContent = "Ingest jobs could not be read: " + e.message;
      return;
    }
    const items = (data && data.items) || [];
    list.textContent = "";
    if (!items.length) {
      list.appendChild(jejak.el("p", { "class": "hint" }, "No ingest job was started from the server for this case."));
    } else {
      const ul = jejak.el("ul", { "class": "jobs" });
      items.slice().reverse().forEach(function (j) { ul.appendChild(describe(j)); });
      list.appendChild(ul);
    }
    const active = items.some(function (j) { return j.status === "queued" || j.status === "running"; });
    clearTimeout(timer);
    timer = setTimeout(refresh, active ? 1000 : 10000);
    box.dataset.active = active ? "true" : "false";
  }

  const form = document.getElementById("ingest-form");
  if (form) {
    form.addEventListener("submit", async function (ev) {
      ev.preventDefault();
      const src = document.getElementById("ingest-source").value.trim();
      if (!src) return;
      try {
        const job = await jejak.api("POST", base, { sources: [src] });
        jejak.status("Ingest job #" + job.id + " queued.");
        refresh();
      } catch (e) {
        jejak.status("Not started: " + e.message, true);
      }
    });
  }
  refresh();
})();
