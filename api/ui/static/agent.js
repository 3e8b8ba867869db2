// The distribution agent's page: lookup, verdict, one-tap record, and an offline queue
// kept in localStorage that syncs through the batch endpoint when the network returns.
(() => {
  "use strict";
  const root = document.getElementById("agent");
  const text = root.dataset;
  const queueKey = "aid.pending." + text.user;
  const $ = (id) => document.getElementById(id);
  const form = $("lookup"), verdict = $("verdict"), recordButton = $("record");
  let syncing = false;

  const queue = () => JSON.parse(localStorage.getItem(queueKey) || "[]");
  const save = (records) => { localStorage.setItem(queueKey, JSON.stringify(records)); showPending(); };
  function showPending() { $("pending").textContent = String(queue().length); }

  function showNetwork() {
    const online = navigator.onLine;
    $("net").textContent = online ? text.online : text.offline;
    document.querySelector(".status-bar").classList.toggle("offline", !online);
  }

  async function post(path, body) {
    const response = await fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": text.csrf },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    return { status: response.status, answer };
  }

  function addResult(record, status, words) {
    const item = document.createElement("li");
    item.className = status;
    item.dataset.id = record.id;
    const when = new Date(record.occurred_at).toLocaleString(document.documentElement.lang);
    item.textContent = `${when} · ${record.national_id} · ${record.quantity} — ${words}`;
    $("results").prepend(item);
  }

  function showVerdict(kind, word, detail) {
    verdict.hidden = false;
    verdict.className = "verdict " + kind;
    $("verdict-word").textContent = word;
    $("verdict-detail").textContent = detail || "";
    recordButton.disabled = kind === "no";
    $("record-result").textContent = "";
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    verdict.hidden = true;
    const nationalId = $("national_id").value.trim().toUpperCase();
    if (!nationalId) { $("national_id").focus(); return; }
    $("quantity").value = $("campaign").selectedOptions[0]?.dataset.quantity || "1";
    if (!navigator.onLine) { showVerdict("unknown", text.offline, text.unchecked); return; }
    try {
      const { status, answer } = await post("/agent/lookup", { national_id: nationalId, campaign_id: $("campaign").value });
      if (status === 401) { showVerdict("unknown", text.signin, ""); return; }
      if (!answer.found) { showVerdict("no", answer.text || answer.message, ""); return; }
      showVerdict(answer.eligible ? "yes" : "no", answer.text, answer.reason);
      if (answer.eligible && answer.remaining) $("quantity").value = String(answer.remaining);
    } catch (error) {
      showVerdict("unknown", text.network, text.unchecked);
    }
  });

  function newRecord() {
    return {
      id: crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2),
      campaign_id: $("campaign").value,
      national_id: $("national_id").value.trim().toUpperCase(),
      site_id: $("site").value,
      quantity: parseInt($("quantity").value, 10) || 0,
      occurred_at: new Date().toISOString(),
    };
  }

  function enqueue(record) {
    save([...queue(), record]);
    $("record-result").textContent = text.queued;
  }

  recordButton.addEventListener("click", async () => {
    const record = newRecord();
    if (!record.national_id) { $("national_id").focus(); return; }
    recordButton.disabled = true;
    if (!navigator.onLine) { enqueue(record); return; }
    try {
      const { status, answer } = await post("/agent/record", { records: [record] });
      if (status === 401) { enqueue(record); $("record-result").textContent = text.signin; return; }
      $("record-result").textContent = answer.reason || answer.message || "";
      addResult(record, answer.status || "rejected", answer.reason || answer.message || "");
      if (answer.status !== "accepted") recordButton.disabled = false;
    } catch (error) {
      enqueue(record);  // the network failed under us: keep the fact, send it later
    }
  });

  async function sync() {
    const pending = queue();
    if (syncing || !pending.length || !navigator.onLine) return;
    syncing = true;
    try {
      const { status, answer } = await post("/agent/sync", { records: pending });
      if (status === 401) { $("record-result").textContent = text.signin; return; }
      if (status !== 200) return;
      const done = new Set();
      answer.results.forEach((result, index) => {
        const record = pending[index];
        done.add(record.id);
        addResult(record, result.status, result.text + (result.reason ? " : " + result.reason : ""));
      });
      save(queue().filter((record) => !done.has(record.id)));
    } catch (error) {
      // still offline in practice: the queue stays as it is
    } finally {
      syncing = false;
    }
  }

  async function scan() {
    const detector = new BarcodeDetector();
    const video = $("camera");
    const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    video.srcObject = stream; video.hidden = false; await video.play();
    const stop = () => { stream.getTracks().forEach((track) => track.stop()); video.hidden = true; };
    const look = async () => {
      const codes = await detector.detect(video).catch(() => []);
      if (codes.length) { stop(); $("national_id").value = codes[0].rawValue; form.requestSubmit(); }
      else if (!video.hidden) setTimeout(look, 250);
    };
    look();
  }

  if ("BarcodeDetector" in window && navigator.mediaDevices) {
    $("scan").hidden = false;
    $("scan").addEventListener("click", () => scan().catch(() => { $("record-result").textContent = text.noscan; }));
  }
  $("sync").addEventListener("click", sync);
  window.addEventListener("online", () => { showNetwork(); sync(); });
  window.addEventListener("offline", showNetwork);
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
  showNetwork(); showPending(); sync();
})();
