// After sign-out: forget the pages kept for offline use, and every offline list of the user who
// signed out (which households a site expects and which were served: not for the next person).
// The pending queue is kept: it holds baskets handed but not yet synced, facts that must not be
// lost, and names households by card code or id only. A record queued by an older version of
// the page with a national ID in clear is dropped, so that no national ID outlives the session.
(() => {
  "use strict";
  if ("caches" in window) {
    caches.keys().then((names) => names.forEach((name) => caches.delete(name)));
  }
  const user = document.getElementById("signed-out")?.dataset.user;
  if (!user) return;
  const lists = "aid.offline." + user + ".";
  Object.keys(localStorage).filter((key) => key.startsWith(lists)).forEach((key) => localStorage.removeItem(key));
  const queueKey = "aid.pending." + user;
  const pending = JSON.parse(localStorage.getItem(queueKey) || "[]");
  const kept = pending.filter((record) => !record.national_id);
  if (kept.length) localStorage.setItem(queueKey, JSON.stringify(kept));
  else localStorage.removeItem(queueKey);
})();
