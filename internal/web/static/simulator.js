// The simulator: sends what is typed to /simulator/messages and shows the
// bot's replies the way WhatsApp would, lists included.
(function () {
  const chat = document.getElementById('chat');
  const office = document.getElementById('office');
  const from = document.getElementById('from');
  const text = document.getElementById('text');
  const kind = document.getElementById('kind');
  const plain = document.getElementById('plain');
  const compose = document.getElementById('compose');
  const endpoint = compose.dataset.endpoint || '/simulator/messages';
  const csrf = compose.dataset.csrf || '';
  const officeName = document.getElementById('office-name');
  const officeNumber = document.getElementById('office-number');
  const avatar = document.getElementById('avatar');

  // The chat's header is the office, as WhatsApp shows the contact.
  function showOffice() {
    const o = office.options[office.selectedIndex];
    if (!o) return;
    officeName.textContent = o.dataset.name || o.textContent;
    avatar.textContent = (officeName.textContent.trim()[0] || 'S').toUpperCase();
    officeNumber.textContent = o.dataset.number || '';
  }

  function toEnd() { chat.scrollTop = chat.scrollHeight; }

  function stamp(li, at) {
    const t = document.createElement('time');
    const d = at ? new Date(at) : new Date();
    t.dateTime = d.toISOString();
    t.textContent = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    li.appendChild(t);
  }

  function bubble(cls) {
    const li = document.createElement('li');
    li.className = 'msg ' + cls;
    chat.appendChild(li);
    return li;
  }

  function textNode(cls, s) {
    const d = document.createElement('div');
    if (cls) d.className = cls;
    d.innerHTML = whatsappFormat(s);
    return d;
  }

  // whatsappFormat shows *bold*, _italic_ and ~strike~ as WhatsApp does,
  // escaping everything else.
  function whatsappFormat(s) {
    const esc = s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    return esc
      .replace(/(^|[\s(])\*([^*\s](?:[^*\n]*[^*\s])?)\*(?=$|[\s.,:;!?)])/gm, '$1<b>$2</b>')
      .replace(/(^|[\s(])_([^_\s](?:[^_\n]*[^_\s])?)_(?=$|[\s.,:;!?)])/gm, '$1<i>$2</i>')
      .replace(/(^|[\s(])~([^~\s](?:[^~\n]*[^~\s])?)~(?=$|[\s.,:;!?)])/gm, '$1<s>$2</s>');
  }

  function showReply(r, at) {
    const li = bubble('out');
    fillReply(li, r);
    stamp(li, at);
    return li;
  }

  function fillReply(li, r) {
    if (r.location) {
      li.textContent = '📍 ' + (r.location.name || '') + '\n' + (r.location.address || '') +
        '\n' + r.location.latitude + ', ' + r.location.longitude;
      return;
    }
    if (!r.list || plain.checked) {
      li.innerHTML = whatsappFormat(r.text);
      return;
    }
    const l = r.list;
    if (l.header) li.appendChild(textNode('header', l.header));
    li.appendChild(textNode('', l.body));
    if (l.footer) li.appendChild(textNode('footer', l.footer));
    const open = document.createElement('button');
    open.type = 'button';
    open.className = 'open-list';
    open.textContent = '☰ ' + l.button;
    const rows = document.createElement('div');
    rows.className = 'rows';
    rows.hidden = true;
    for (const s of l.sections) {
      if (s.title) rows.appendChild(Object.assign(document.createElement('h4'), { textContent: s.title }));
      for (const row of s.rows) {
        const b = document.createElement('button');
        b.type = 'button';
        b.dataset.choice = row.id;
        b.textContent = row.title;
        if (row.description) b.appendChild(Object.assign(document.createElement('small'), { textContent: row.description }));
        b.addEventListener('click', () => send({ text: row.title, choice_id: row.id }));
        rows.appendChild(b);
      }
    }
    open.addEventListener('click', () => { rows.hidden = !rows.hidden; });
    li.appendChild(open);
    li.appendChild(rows);
  }

  async function send(msg) {
    const k = msg.kind || (msg.choice_id ? 'interactive' : 'text');
    const shown = k === 'text' || msg.choice_id ? msg.text : '[' + kind.options[kind.selectedIndex].text + ']';
    const mine = bubble('in');
    mine.textContent = shown;
    stamp(mine);
    toEnd();
    try {
      const headers = { 'Content-Type': 'application/json' };
      if (csrf) headers['X-CSRF-Token'] = csrf;
      const resp = await fetch(endpoint, {
        method: 'POST',
        headers: headers,
        body: JSON.stringify(Object.assign({ office: office.value, from: from.value.trim().toLowerCase(), kind: k }, msg)),
      });
      const data = await resp.json();
      if (!resp.ok) { bubble('note').textContent = data.error || resp.statusText; return; }
      if (data.replies.length === 0) {
        // Silence is an answer too: a chat handed to staff, a reaction.
        const n = bubble('note noreply');
        n.textContent = 'Tidak ada balasan dari bot (no reply): obrolan sedang ditangani petugas, atau pesan ini tidak dijawab.';
        stamp(n, data.at);
        toEnd();
        return;
      }
      const first = data.replies.map((r) => showReply(r, data.at))[0];
      // A long reply is read from its start: scroll to it, not past it.
      if (first.offsetHeight > chat.clientHeight * 0.6) chat.scrollTop = first.offsetTop - chat.offsetTop - 8;
      else toEnd();
    } catch (e) {
      bubble('note').textContent = 'Cannot reach the server: ' + e;
      toEnd();
    }
  }

  document.getElementById('compose').addEventListener('submit', (e) => {
    e.preventDefault();
    const k = kind.value;
    if (k === 'text' && !text.value.trim()) return;
    send({ kind: k, text: k === 'text' ? text.value : '' });
    text.value = '';
    kind.value = 'text';
  });
  document.querySelectorAll('[data-say]').forEach((b) =>
    b.addEventListener('click', () => send({ text: b.dataset.say })));
  document.querySelectorAll('.hint').forEach((b) =>
    b.addEventListener('click', () => { office.value = b.dataset.office; showOffice(); send({ text: b.dataset.number }); }));
  office.addEventListener('change', () => { chat.innerHTML = ''; showOffice(); });
  showOffice();
  from.addEventListener('change', () => { chat.innerHTML = ''; });
})();
