// A caseload import's progress, while its job works: the page asks for it every two seconds and moves
// the bar; screen readers hear the phase and every tenth. When the job is done the page reloads with
// the report. Without JavaScript the page has a link to refresh it.
const box = document.querySelector("[data-import-progress]");
if (box) {
  const url = box.dataset.importProgress;
  const bar = box.querySelector("progress");
  const phase = document.getElementById("import-progress-phase");
  const text = document.getElementById("import-progress-text");
  let spoken = "";
  const update = async () => {
    let data;
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) return;
      data = await response.json();
    } catch {
      return;
    }
    if (!data.working) {
      window.location.reload();
      return;
    }
    bar.value = data.percent;
    bar.textContent = `${data.percent}%`;
    phase.textContent = data.phase;
    const said = `${data.phase}: ${Math.floor(data.percent / 10) * 10}%`;
    if (said !== spoken) {
      spoken = said;
      text.textContent = `${data.done.toLocaleString("en-GB")} of ${data.total.toLocaleString("en-GB")} rows (${data.percent}%)`;
    }
  };
  setInterval(update, 2000);
}
