// After sign-out: forget the pages kept for offline use (the pending queue is kept).
if ("caches" in window) {
  caches.keys().then((names) => names.forEach((name) => caches.delete(name)));
}
