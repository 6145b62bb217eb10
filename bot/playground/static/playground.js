// The playground page: draws the workspace snapshot the server long-polls out, and sends
// what the person does (messages, files, clicks, modal submits, opening Home) back to it.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const { el } = BlockKit;
  const ui = { view: "channel", tab: "home", thread: null, modalId: null };
  let state = null;
  const caches = { main: new Map(), thread: new Map() };

  // --- talking to the server -----------------------------------------------------------------

  async function post(path, body) {
    const resp = await fetch(path, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body || {}),
    });
    if (!resp.ok) throw new Error(`${path}: HTTP ${resp.status} ${await resp.text()}`);
    return resp.json();
  }

  async function poll() {
    let version = -1;
    for (;;) {
      try {
        const resp = await fetch(`/api/state?after=${version}`);
        if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
        state = await resp.json();
        version = state.version;
        hideBanner("offline");
        render();
      } catch (err) {
        banner("The playground server is not answering; retrying…", "offline");
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  function banner(text, kind) {
    const b = $("banner");
    b.textContent = text;
    b.dataset.kind = kind || "error";
    b.hidden = false;
  }
  function hideBanner(kind) { if ($("banner").dataset.kind === kind) $("banner").hidden = true; }
  const failed = (err) => banner(String(err && err.message || err));

  // --- where we are ----------------------------------------------------------------------------

  const channelOf = (type) => Object.values(state.channels).find((c) => c.type === type).id;
  function currentChannel() { return ui.view === "channel" ? channelOf("channel") : channelOf("im"); }
  const showingHome = () => ui.view === "app" && ui.tab === "home";

  function ctx(msg) {
    return {
      users: state.users, channels: state.channels, me: state.me,
      act: (action, button) => {
        if (!msg) return; // Home and modal buttons: the app has none
        button.disabled = true;
        post("/api/action", { channel: msg.channel, ts: msg.ts, action })
          .catch(failed).finally(() => { button.disabled = false; });
      },
    };
  }

  // --- drawing ------------------------------------------------------------------------------

  function render() {
    const home = showingHome();
    const chan = state.channels[currentChannel()];
    $("title").textContent = ui.view === "channel" ? "# " + chan.name : chan.name;
    $("tabs").hidden = ui.view !== "app";
    $("tab-home").setAttribute("aria-selected", String(home));
    $("tab-messages").setAttribute("aria-selected", String(!home));
    $("hint").hidden = ui.view !== "channel";
    $("home").hidden = !home;
    $("messages").hidden = home;
    $("composer").hidden = home;
    $("message").placeholder = ui.view === "channel" ? "Message #" + chan.name : "Message " + chan.name;
    for (const b of document.querySelectorAll(".nav-item")) {
      if (b.dataset.view === ui.view) b.setAttribute("aria-current", "page");
      else b.removeAttribute("aria-current");
    }
    if (home) renderHome();
    else renderList($("messages"), caches.main, topLevel(currentChannel()), false);
    renderThread();
    renderModal();
  }

  function topLevel(channel) {
    return state.messages.filter((m) => m.channel === channel && !m.thread_ts).sort(byTs);
  }
  function replies(m) {
    return state.messages.filter((r) => r.channel === m.channel && r.thread_ts === m.ts).sort(byTs);
  }
  const byTs = (a, b) => parseFloat(a.ts) - parseFloat(b.ts);

  function renderList(box, cache, list, inThread) {
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    const seen = new Set();
    const nodes = list.map((m) => {
      const key = m.channel + "/" + m.ts;
      const n = inThread ? [] : replies(m);
      const sig = `${m.rev}|${n.length}|${n.length ? n[n.length - 1].ts : ""}|${ui.thread === key}`;
      seen.add(key);
      let hit = cache.get(key);
      if (!hit || hit.sig !== sig) {
        hit = { sig, node: messageNode(m, n, inThread) };
        cache.set(key, hit);
      }
      return hit.node;
    });
    for (const key of cache.keys()) if (!seen.has(key)) cache.delete(key);
    if (!list.length && !inThread) nodes.push(el("p", "empty", "No messages yet."));
    box.replaceChildren(...nodes);
    const stick = atBottom || box.dataset.drawn !== "1";
    if (stick) box.scrollTop = box.scrollHeight;
    box.dataset.drawn = "1";
    box.dataset.stick = stick ? "1" : "0";
  }

  function messageNode(m, threadReplies, inThread) {
    const user = state.users[m.user] || { name: m.user, bot: false };
    const when = new Date(parseFloat(m.ts) * 1000);
    const art = el("div", "msg" + (m.ephemeral ? " ephemeral" : "") + (user.bot ? " from-bot" : ""));
    art.setAttribute("role", "article");
    art.setAttribute("aria-label", `${user.name}, ${when.toLocaleTimeString()}`);
    art.dataset.ts = m.ts;
    art.dataset.user = m.user;
    const avatar = el("div", "avatar avatar-" + (user.id === state.me ? "me" : user.bot ? "bot" : "other"),
      user.id === "UBOT" ? "IT" : (user.name || "?").slice(0, 1).toUpperCase());
    avatar.setAttribute("aria-hidden", "true");
    art.appendChild(avatar);
    const body = el("div", "msg-body");
    const head = el("div", "msg-head");
    head.appendChild(el("span", "msg-author", user.name));
    if (user.bot) head.appendChild(el("span", "app-badge", "APP"));
    const time = el("time", "msg-time", when.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" }));
    time.dateTime = when.toISOString();
    time.title = when.toLocaleString();
    head.appendChild(time);
    body.appendChild(head);
    if (m.blocks && m.blocks.length) body.appendChild(BlockKit.blocks(m.blocks, ctx(m)));
    else if (m.text) body.appendChild(BlockKit.mrkdwn(m.text, ctx(m)));
    for (const f of m.files || []) body.appendChild(fileNode(f));
    if (m.reactions && m.reactions.length) body.appendChild(reactionsNode(m.reactions));
    if (m.ephemeral) body.appendChild(el("div", "only-you", "Only visible to you"));
    if (!inThread && threadReplies.length) {
      const link = el("button", "replies", `${threadReplies.length} ${threadReplies.length === 1 ? "reply" : "replies"}`);
      link.type = "button";
      link.addEventListener("click", () => openThread(m));
      body.appendChild(link);
    }
    art.appendChild(body);
    return art;
  }

  function fileNode(f) {
    if ((f.mimetype || "").startsWith("image/")) {
      const fig = el("figure", "file-image");
      fig.appendChild(el("figcaption", "", f.title || f.name));
      const img = el("img");
      img.src = f.url;
      img.alt = f.title || f.name;
      img.addEventListener("load", () => { // the picture grows the list: stay at its end
        const list = img.closest(".messages, .thread-messages");
        if (list && list.dataset.stick === "1") list.scrollTop = list.scrollHeight;
      });
      fig.appendChild(img);
      return fig;
    }
    const card = el("a", "file-card");
    card.href = f.url;
    card.download = f.name;
    card.appendChild(el("span", "file-icon", "📄"));
    const meta = el("span", "file-meta");
    meta.appendChild(el("span", "file-name", f.name));
    meta.appendChild(el("span", "file-size", size(f.size)));
    card.appendChild(meta);
    return card;
  }

  function size(n) {
    if (!n && n !== 0) return "";
    const units = ["B", "KB", "MB", "GB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
  }

  function reactionsNode(list) {
    const row = el("div", "reactions");
    for (const r of list) {
      const who = r.users.map((u) => (state.users[u] || { name: u }).name).join(", ");
      const chip = el("span", "reaction" + (r.users.includes(state.me) ? " mine" : ""));
      chip.title = `:${r.name}: reacted by ${who}`;
      chip.setAttribute("aria-label", `${r.name} reaction by ${who}`);
      chip.dataset.name = r.name;
      chip.appendChild(BlockKit.plain(`:${r.name}:`));
      chip.appendChild(el("span", "count", String(r.users.length)));
      row.appendChild(chip);
    }
    return row;
  }

  function renderHome() {
    const box = $("home");
    const view = state.home;
    const key = view ? JSON.stringify(view.blocks) : "";
    if (box.dataset.key === key && box.childNodes.length) return;
    box.dataset.key = key;
    box.replaceChildren(view ? BlockKit.blocks(view.blocks, ctx(null)) : el("p", "empty", "Opening Home…"));
  }

  // --- the thread panel ------------------------------------------------------------------------

  function openThread(m) {
    ui.thread = m.channel + "/" + m.ts;
    render();
    $("reply").focus();
  }

  function threadParent() {
    if (!ui.thread) return null;
    return state.messages.find((m) => m.channel + "/" + m.ts === ui.thread) || null;
  }

  function renderThread() {
    const parent = threadParent();
    $("thread").hidden = !parent;
    if (!parent) return;
    const chan = state.channels[parent.channel];
    $("thread-where").textContent = chan.type === "channel" ? "# " + chan.name : chan.name;
    renderList($("thread-messages"), caches.thread, [parent, ...replies(parent)], true);
  }

  // --- the modal ------------------------------------------------------------------------------

  function renderModal() {
    const view = state.modal;
    $("modal-backdrop").hidden = !view;
    if (!view) { ui.modalId = null; return; }
    if (ui.modalId === view.id) return; // keep what the person is typing
    ui.modalId = view.id;
    $("modal-title").textContent = (view.title && view.title.text) || "";
    $("modal-submit").textContent = (view.submit && view.submit.text) || "Submit";
    $("modal-submit").hidden = !view.submit;
    $("modal-cancel").textContent = (view.close && view.close.text) || "Cancel";
    $("modal-body").replaceChildren(BlockKit.blocks(view.blocks, ctx(null)));
    const first = $("modal-body").querySelector("textarea, input");
    if (first) first.focus();
  }

  async function submitModal(event) {
    event.preventDefault();
    const values = {};
    for (const f of $("modal-body").querySelectorAll("[data-block-id]")) {
      (values[f.dataset.blockId] = values[f.dataset.blockId] || {})[f.dataset.actionId] = f.value;
    }
    $("modal-submit").disabled = true;
    try {
      const { errors } = await post("/api/submit", { view_id: ui.modalId, values });
      for (const box of $("modal-body").querySelectorAll(".bk-input")) {
        const field = box.querySelector("[data-block-id]");
        box.querySelector(".bk-error").textContent = (errors || {})[field.dataset.blockId] || "";
      }
    } catch (err) { failed(err); } finally { $("modal-submit").disabled = false; }
  }

  function closeModal() { post("/api/close", { view_id: ui.modalId }).catch(failed); }

  // --- composing ------------------------------------------------------------------------------

  function composer(form, box, threadTs) {
    const send = () => {
      const text = box.value;
      if (!text.trim()) return;
      box.value = "";
      post("/api/send", { channel: threadTs ? threadTs().channel : currentChannel(), text,
        thread_ts: threadTs ? threadTs().ts : null }).catch(failed);
    };
    form.addEventListener("submit", (e) => { e.preventDefault(); send(); });
    box.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
    });
  }

  function upload(file, channel, threadTs, status) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      const q = new URLSearchParams({ channel, name: file.name });
      if (threadTs) q.set("thread_ts", threadTs);
      xhr.open("POST", "/api/upload?" + q);
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) status.textContent = `Uploading ${file.name}… ${Math.round(100 * e.loaded / e.total)}%`;
      };
      xhr.onload = () => {
        status.textContent = "";
        if (xhr.status === 200) resolve(JSON.parse(xhr.responseText));
        else reject(new Error(`upload of ${file.name}: HTTP ${xhr.status} ${xhr.responseText}`));
      };
      xhr.onerror = () => { status.textContent = ""; reject(new Error(`upload of ${file.name} failed`)); };
      status.textContent = `Uploading ${file.name}…`;
      xhr.send(file);
    });
  }

  async function share(files, inThread) {
    const parent = inThread ? threadParent() : null;
    const status = inThread ? $("thread-upload-status") : $("upload-status");
    for (const file of files) {
      try {
        const sent = await upload(file, parent ? parent.channel : currentChannel(), parent && parent.ts, status);
        if (!parent && sent.ts) ui.thread = currentChannel() + "/" + sent.ts; // follow its answer
      } catch (err) { failed(err); }
    }
  }

  function dropZone(zone, inThread) {
    const hint = $("drop-hint");
    const hasFiles = (e) => Array.from(e.dataTransfer && e.dataTransfer.types || []).includes("Files");
    zone.addEventListener("dragover", (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      e.stopPropagation();
      if (!inThread) hint.hidden = false;
    });
    zone.addEventListener("dragleave", (e) => { if (!zone.contains(e.relatedTarget)) hint.hidden = true; });
    zone.addEventListener("drop", (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      e.stopPropagation();
      hint.hidden = true;
      share(Array.from(e.dataTransfer.files), inThread);
    });
  }

  // --- wiring ---------------------------------------------------------------------------------

  function show(view, tab) {
    ui.view = view;
    if (tab) ui.tab = tab;
    if (state) render();
    if (showingHome()) post("/api/home").catch(failed); // Slack sends app_home_opened each time
  }

  function start() {
    composer($("composer"), $("message"), null);
    composer($("thread-composer"), $("reply"), () => threadParent());
    for (const [input, inThread] of [[$("file"), false], [$("thread-file"), true]]) {
      input.addEventListener("change", () => { share(Array.from(input.files), inThread); input.value = ""; });
    }
    dropZone($("main"), false);
    dropZone($("thread"), true);
    for (const b of document.querySelectorAll(".nav-item")) b.addEventListener("click", () => show(b.dataset.view));
    $("tab-home").addEventListener("click", () => show("app", "home"));
    $("tab-messages").addEventListener("click", () => show("app", "messages"));
    $("thread-close").addEventListener("click", () => { ui.thread = null; render(); });
    $("modal-form").addEventListener("submit", submitModal);
    $("modal-cancel").addEventListener("click", closeModal);
    $("modal-x").addEventListener("click", closeModal);
    document.addEventListener("keydown", (e) => { if (e.key === "Escape" && ui.modalId) closeModal(); });
    window.addEventListener("unhandledrejection", (e) => failed(e.reason));
    $("message").focus();
    poll();
  }

  start();
})();
