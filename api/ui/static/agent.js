// The distribution agent's page: a card (or, online only, a national ID) gives a verdict, one
// tap records the basket, and an offline queue in localStorage syncs through the batch when
// the network returns. Offline, cards are checked against the site's offline list kept in
// localStorage: digests of card codes, what each household is still due, whether it was
// served; nothing that names a person. No national ID is ever written to the device.
(() => {
  "use strict";
  const root = document.getElementById("agent");
  const text = root.dataset;
  const queueKey = "aid.pending." + text.user;
  const $ = (id) => document.getElementById(id);
  const verdict = $("verdict"), recordButton = $("record");
  const CODE_PREFIX = "AID1";
  const HOUSEHOLD_ID = /^[a-z0-9][a-z0-9._-]{0,63}$|^[0-9a-fA-F-]{36}$/;  // events/base.py
  let syncing = false;
  // Where the records synced since the last list was fetched were written, the furthest per
  // partition: the next list waits for the server's lists to hold them, so a household just
  // served does not read as waiting again on this device.
  let synced = {};
  let subject = null;  // the household the verdict is about: {household_id, card?}, never a national ID

  const queue = () => JSON.parse(localStorage.getItem(queueKey) || "[]");
  const save = (records) => { localStorage.setItem(queueKey, JSON.stringify(records)); showPending(); };
  function showPending() { $("pending").textContent = String(queue().length); }

  function showNetwork() {
    const online = navigator.onLine;
    $("net").textContent = online ? text.online : text.offline;
    document.querySelector(".status-bar").classList.toggle("offline", !online);
  }

  async function send(path, options) {
    const response = await fetch(path, {
      credentials: "same-origin",
      ...options,
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": text.csrf },
    });
    const answer = await response.json().catch(() => ({}));
    return { status: response.status, answer };
  }
  const post = (path, body) => send(path, { method: "POST", body: JSON.stringify(body) });

  // --- The offline list of the chosen campaign and site ------------------------------------

  const listKey = () => `aid.offline.${text.user}.${$("campaign").value}.${$("site").value}`;
  const loadList = () => JSON.parse(localStorage.getItem(listKey()) || "null");
  const storeList = (list) => localStorage.setItem(listKey(), JSON.stringify(list));

  function showListStatus() {
    const list = loadList();
    $("list-status").textContent = !list ? text.noList : text.listReady
      .replace("{count}", String(Object.keys(list.households).length))
      .replace("{time}", new Date(list.fetched_at).toLocaleString(document.documentElement.lang));
  }

  async function download() {
    if (!navigator.onLine || !$("campaign").value || !$("site").value) { showListStatus(); return; }
    const key = listKey();
    const list = { fetched_at: new Date().toISOString(), households: {} };
    let cursor = "";
    try {
      do {
        const query = new URLSearchParams({ campaign_id: $("campaign").value, site_id: $("site").value, cursor });
        const waitFor = Object.values(synced);
        waitFor.forEach((position) => query.append("after", position));
        const { status, answer } = await send("/agent/offline-list?" + query, { method: "GET" });
        if (status !== 200) return;  // keep the copy we have, if any
        list.quantity = answer.quantity_per_household;
        answer.items.forEach(({ household_id, ...entry }) => { list.households[household_id] = entry; });
        cursor = answer.next || "";
      } while (cursor);
      if (key === listKey()) storeList(list);  // the agent may have chosen another site meanwhile
      synced = {};
    } catch (error) {
      // the network failed under us: keep the copy we have
    } finally {
      showListStatus();
    }
  }

  // After a basket: the same card is refused on this device at once, before any sync.
  function markServed(householdId, quantity) {
    const list = loadList();
    const entry = list && householdId && list.households[householdId];
    if (!entry) return;
    entry.served = true;
    entry.remaining = Math.max(entry.remaining - quantity, 0);
    storeList(list);
  }

  // --- Reading a card ----------------------------------------------------------------------

  // A card's code as the server writes it (AID1:<household>:<number>:<CHECK>), or a household
  // id typed from the card; null when it is neither.
  function readCard(typed) {
    const value = typed.trim();
    const parts = value.split(":");
    if (parts.length === 4 && parts[0].toUpperCase() === CODE_PREFIX && /^[0-9]+$/.test(parts[2])) {
      const code = [CODE_PREFIX, parts[1], String(parseInt(parts[2], 10)), parts[3].toUpperCase()].join(":");
      return { household_id: parts[1], card: code };
    }
    return HOUSEHOLD_ID.test(value) ? { household_id: value } : null;
  }

  async function digest(code) {
    const bytes = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(code));
    return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("").slice(0, 32);
  }

  async function checkOffline(scanned) {
    const list = loadList();
    if (!list) return showVerdict("unknown", text.offline, text.noList);
    const entry = list.households[scanned.household_id];
    if (!entry) return showVerdict("no", text.notEligible, text.notHere);
    if (scanned.card && (!entry.card || (await digest(scanned.card)) !== entry.card)) {
      return showVerdict("no", text.notEligible, text.cardUnknown);
    }
    // What remains follows the household's own entitlement: a larger household served one
    // basket of its two may take the other, as the server would say online.
    if (entry.remaining <= 0) return showVerdict("no", text.notEligible, text.cardServed);
    showVerdict("yes", text.eligible, text.due.replace("{quantity}", String(entry.remaining)));
    $("quantity").value = String(entry.remaining);
  }

  async function checkOnline(scanned) {
    const { status, answer } = await post("/agent/card", { card: scanned.card || scanned.household_id, campaign_id: $("campaign").value });
    if (status === 401) return showVerdict("unknown", text.signin, "");
    if (!answer.found) return showVerdict("no", text.notEligible, answer.text || answer.message);
    showVerdict(answer.eligible ? "yes" : "no", answer.text, answer.reason);
    if (answer.eligible && answer.remaining) $("quantity").value = String(answer.remaining);
  }

  $("by-card").addEventListener("submit", async (event) => {
    event.preventDefault();
    verdict.hidden = true;
    const scanned = readCard($("card").value);
    if (!scanned) { showVerdict("no", text.notEligible, text.notCard); return; }
    subject = scanned;
    $("quantity").value = $("campaign").selectedOptions[0]?.dataset.quantity || "1";
    if (!navigator.onLine) { await checkOffline(scanned); return; }
    try {
      await checkOnline(scanned);
    } catch (error) {
      await checkOffline(scanned);  // the network failed under us: the list decides
    }
  });

  // --- By national ID: online only, and the ID is never kept --------------------------------

  $("lookup").addEventListener("submit", async (event) => {
    event.preventDefault();
    verdict.hidden = true;
    const nationalId = $("national_id").value.trim().toUpperCase();
    if (!nationalId) { $("national_id").focus(); return; }
    $("quantity").value = $("campaign").selectedOptions[0]?.dataset.quantity || "1";
    subject = null;
    if (!navigator.onLine) { showVerdict("unknown", text.offline, text.idOnline); return; }
    try {
      const { status, answer } = await post("/agent/lookup", { national_id: nationalId, campaign_id: $("campaign").value });
      if (status === 401) { showVerdict("unknown", text.signin, ""); return; }
      if (!answer.found) { showVerdict("no", answer.text || answer.message, ""); return; }
      subject = { household_id: answer.household_id };  // recorded by id: the ID is not kept
      showVerdict(answer.eligible ? "yes" : "no", answer.text, answer.reason);
      if (answer.eligible && answer.remaining) $("quantity").value = String(answer.remaining);
    } catch (error) {
      showVerdict("unknown", text.network, text.idOnline);
    }
  });

  function showVerdict(kind, word, detail) {
    verdict.hidden = false;
    verdict.className = "verdict " + kind;
    $("verdict-word").textContent = word;
    $("verdict-detail").textContent = detail || "";
    recordButton.disabled = kind === "no" || !subject;
    $("record-result").textContent = "";
  }

  // --- Recording -------------------------------------------------------------------------

  function newRecord() {
    const who = subject.card ? { card: subject.card } : { household_id: subject.household_id };
    return {
      id: crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2),
      campaign_id: $("campaign").value,
      ...who,
      site_id: $("site").value,
      quantity: parseInt($("quantity").value, 10) || 0,
      occurred_at: new Date().toISOString(),
    };
  }

  // Queued records name the household by its card or id; a national ID never waits here.
  function enqueue(record) {
    save([...queue(), record]);
    markServed(subject.household_id, record.quantity);
    $("record-result").textContent = text.queued;
  }

  recordButton.addEventListener("click", async () => {
    if (!subject) return;
    const record = newRecord();
    recordButton.disabled = true;
    if (!navigator.onLine) { enqueue(record); return; }
    try {
      const { status, answer } = await post("/agent/record", { records: [record] });
      if (status === 401) { enqueue(record); $("record-result").textContent = text.signin; return; }
      const words = answer.reason || answer.message || "";
      $("record-result").textContent = words;
      addResult(record, answer.status || "rejected", words, subject.household_id);
      if (answer.status === "accepted") markServed(subject.household_id, record.quantity);
      else recordButton.disabled = false;
    } catch (error) {
      enqueue(record);  // the network failed under us: keep the fact, send it later
    }
  });

  // The household a record names, as the results show it: never its national ID.
  function householdOf(record) {
    return record.household_id || (record.card ? record.card.split(":")[1] : "—");
  }

  function addResult(record, status, words, household = householdOf(record)) {
    const item = document.createElement("li");
    item.className = status;
    item.dataset.id = record.id;
    const when = new Date(record.occurred_at).toLocaleString(document.documentElement.lang);
    item.textContent = `${when} · ${household} · ${record.quantity} — ${words}`;
    $("results").prepend(item);
  }

  function remember(position) {  // "stream:partition:offset", as the server writes it
    const cut = position.lastIndexOf(":");
    const where = position.slice(0, cut), offset = Number(position.slice(cut + 1));
    const known = synced[where];
    if (!known || Number(known.slice(known.lastIndexOf(":") + 1)) < offset) synced[where] = position;
  }

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
        if (result.position) remember(result.position);
        addResult(record, result.status, result.text + (result.reason ? " : " + result.reason : ""));
      });
      save(queue().filter((record) => !done.has(record.id)));
    } catch (error) {
      // still offline in practice: the queue stays as it is
    } finally {
      syncing = false;
    }
  }

  // Sends what waits, then reads the list again: what the server now knows, other devices'
  // baskets included.
  async function refresh() {
    await sync();
    await download();
  }

  // --- Scanning --------------------------------------------------------------------------

  async function scan(field, form) {
    const detector = new BarcodeDetector();
    const video = $("camera");
    const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    video.srcObject = stream; video.hidden = false; await video.play();
    const stop = () => { stream.getTracks().forEach((track) => track.stop()); video.hidden = true; };
    const look = async () => {
      const codes = await detector.detect(video).catch(() => []);
      if (codes.length) { stop(); $(field).value = codes[0].rawValue; $(form).requestSubmit(); }
      else if (!video.hidden) setTimeout(look, 250);
    };
    look();
  }

  function offerScan(button, field, form) {
    $(button).hidden = false;
    $(button).addEventListener("click", () => scan(field, form).catch(() => { $("record-result").textContent = text.noscan; }));
  }

  if ("BarcodeDetector" in window && navigator.mediaDevices) {
    offerScan("scan-card", "card", "by-card");
    offerScan("scan", "national_id", "lookup");
  }
  $("campaign").addEventListener("change", download);
  $("site").addEventListener("change", download);
  $("sync").addEventListener("click", refresh);
  window.addEventListener("online", () => { showNetwork(); refresh(); });
  window.addEventListener("offline", showNetwork);
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
  showNetwork(); showPending(); showListStatus(); refresh();
})();
