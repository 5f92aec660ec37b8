// The content editor's live preview: what is typed is sent (a moment after
// the typing stops) to the server, which renders it with the office's data
// and answers the preview as WhatsApp shows it, with what is wrong.
(function () {
  const form = document.getElementById('text-form');
  if (!form) return;
  const text = document.getElementById('text');
  const out = document.getElementById('preview');
  document.querySelectorAll('.nojs').forEach((b) => { b.hidden = true; });
  let timer = null;
  let seq = 0;
  async function update() {
    const mine = ++seq;
    const body = new URLSearchParams({ text: text.value, csrf_token: form.dataset.csrf });
    try {
      const resp = await fetch(form.dataset.preview, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-CSRF-Token': form.dataset.csrf, 'X-Preview': '1' },
        body: body,
      });
      if (mine !== seq) return;
      if (resp.ok) out.innerHTML = await resp.text();
    } catch (e) { /* the saved form still checks everything */ }
  }
  text.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(update, 250); });
})();
