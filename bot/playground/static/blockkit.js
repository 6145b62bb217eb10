// Block Kit and mrkdwn, drawn as Slack draws them, with DOM calls only.
//
// Every piece of text reaches the page through textContent / createTextNode, never as
// markup (no HTML parsing at all): what the app escaped (&lt;!channel&gt;) is shown as the text <!channel>,
// and only real markup (<@U1>, <!here>, <https://x|y>) becomes a mention or a link.
"use strict";

const BlockKit = (() => {
  const EMOJI = {
    warning: "⚠️", white_check_mark: "✅", red_circle: "🔴", large_green_circle: "🟢",
    eyes: "👀", memory: "📝", repeat: "🔁", new: "🆕", hourglass_flowing_sand: "⏳",
    hourglass: "⌛", sunny: "☀️", rotating_light: "🚨", page_facing_up: "📄", no_entry: "⛔",
    leftwards_arrow_with_hook: "↩️", calendar: "📆", mag: "🔍", bar_chart: "📊",
    chart_with_upwards_trend: "📈", x: "❌", information_source: "ℹ️", bulb: "💡",
    lock: "🔒", key: "🔑", wrench: "🔧", hammer_and_wrench: "🛠️", link: "🔗", books: "📚",
    question: "❓", exclamation: "❗", thumbsup: "👍", "+1": "👍", tada: "🎉", fire: "🔥",
    heavy_check_mark: "✔️", arrow_right: "➡️", clipboard: "📋", pushpin: "📌",
    speech_balloon: "💬", zap: "⚡", shield: "🛡️", computer: "💻", gear: "⚙️",
    large_yellow_circle: "🟡", large_orange_circle: "🟠", white_circle: "⚪", clock3: "🕒",
    bell: "🔔", inbox_tray: "📥", outbox_tray: "📤", card_index_dividers: "🗂️",
  };
  const ENTITIES = { "&lt;": "<", "&gt;": ">", "&amp;": "&" };
  const PH = 0xe000; // private-use placeholders stand for tokens while formatting is parsed

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  // Slack sends only &amp; &lt; &gt; as entities; any other &...; is literal text.
  function decode(s) { return s.replace(/&(lt|gt|amp);/g, (m) => ENTITIES[m]); }

  function emojify(s, out) {
    let last = 0;
    for (const m of s.matchAll(/:([a-z0-9_+-]+):/g)) {
      const glyph = EMOJI[m[1]];
      if (!glyph) continue;
      if (m.index > last) out.appendChild(document.createTextNode(s.slice(last, m.index)));
      const span = el("span", "emoji", glyph);
      span.title = m[0];
      out.appendChild(span);
      last = m.index + m[0].length;
    }
    if (last < s.length) out.appendChild(document.createTextNode(s.slice(last)));
  }

  function plain(text, emoji) {
    const frag = document.createDocumentFragment();
    if (emoji === false) frag.appendChild(document.createTextNode(text || ""));
    else emojify(text || "", frag);
    return frag;
  }

  // <...> markup: mentions, channels, broadcasts, links. Anything else stays as text.
  function token(raw, ctx) {
    const [target, label] = splitLabel(raw);
    if (target.startsWith("@")) {
      const user = ctx.users[target.slice(1)];
      return mention("@" + (label || (user ? user.name : target.slice(1))), "user", target.slice(1) === ctx.me);
    }
    if (target.startsWith("#")) {
      const chan = ctx.channels[target.slice(1)];
      return mention("#" + (label || (chan ? chan.name : target.slice(1))), "channel");
    }
    if (target.startsWith("!")) {
      const word = target.slice(1);
      if (["channel", "here", "everyone"].includes(word)) return mention("@" + word, "broadcast");
      if (word.startsWith("subteam^")) return mention(label || "@" + word.slice(8), "group");
      if (word.startsWith("date^")) return document.createTextNode(decode(label || word));
      return document.createTextNode(decode(label || ""));
    }
    const url = decode(target);
    if (/^(https?:|mailto:)/i.test(url)) {
      const a = el("a", "link", decode(label || target));
      a.href = url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      return a;
    }
    return document.createTextNode("<" + decode(raw) + ">");
  }

  function splitLabel(raw) {
    const bar = raw.indexOf("|");
    return bar < 0 ? [raw, ""] : [raw.slice(0, bar), raw.slice(bar + 1)];
  }

  function mention(text, kind, self) {
    const span = el("span", "mention mention-" + kind + (self ? " mention-self" : ""), text);
    return span;
  }

  // One line of mrkdwn: code spans and <markup> become placeholders, then *bold*,
  // _italic_ and ~strike~ are found around them (they may wrap a mention or a code span).
  function inline(line, ctx) {
    const parts = [];
    const hold = (node) => String.fromCharCode(PH + parts.push(node) - 1);
    let s = line.replace(/`([^`\n]+)`/g, (_, code) => hold(el("code", "code", decode(code))));
    s = s.replace(/<([^<>\n]+)>/g, (_, raw) => hold(token(raw, ctx)));
    const frag = document.createDocumentFragment();
    format(s, frag, parts);
    return frag;
  }

  const STYLES = [["*", "b"], ["_", "i"], ["~", "s"]];

  function format(s, out, parts) {
    while (s) {
      let best = null;
      for (const [mark, tag] of STYLES) {
        const m = styleRe(mark).exec(s);
        if (m && (!best || m.index + m[1].length < best.start)) {
          best = { start: m.index + m[1].length, end: m.index + m[0].length, inner: m[2], tag };
        }
      }
      if (!best) return leaf(s, out, parts);
      leaf(s.slice(0, best.start), out, parts);
      const node = el(best.tag === "b" ? "strong" : best.tag === "i" ? "em" : "del");
      format(best.inner, node, parts);
      out.appendChild(node);
      s = s.slice(best.end);
    }
  }

  const styleCache = {};
  function styleRe(mark) {
    if (!styleCache[mark]) {
      const m = "\\" + mark;
      // Slack's rule: the mark opens after a non-word character and closes before one.
      styleCache[mark] = new RegExp(`(^|[^\\w${m}])${m}(?=\\S)([^${m}\\n]*?\\S)${m}(?![\\w${m}])`);
    }
    return styleCache[mark];
  }

  function leaf(s, out, parts) {
    let last = 0;
    for (let i = 0; i < s.length; i++) {
      const code = s.charCodeAt(i) - PH;
      if (code >= 0 && code < parts.length) {
        if (i > last) emojify(decode(s.slice(last, i)), out);
        out.appendChild(parts[code]);
        last = i + 1;
      }
    }
    if (last < s.length) emojify(decode(s.slice(last)), out);
  }

  // A whole mrkdwn text: ``` blocks apart, then line by line (quotes, list items).
  function mrkdwn(text, ctx) {
    const box = el("div", "mrkdwn");
    const chunks = (text || "").split("```");
    chunks.forEach((chunk, i) => {
      if (i % 2 === 1 && i < chunks.length - 1) {
        box.appendChild(el("pre", "code-block", decode(chunk.replace(/^\n/, ""))));
        return;
      }
      const body = i % 2 === 1 ? "```" + chunk : chunk; // an unclosed ``` is text
      const lines = body.split("\n");
      lines.forEach((line, n) => {
        if (line === "" && (n === 0 || n === lines.length - 1) && chunks.length > 1) return;
        const quote = /^(&gt;|>)\s?/.exec(line);
        const row = el("div", "line");
        if (quote) {
          row.classList.add("quote");
          line = line.slice(quote[0].length);
        }
        if (/^\s*([•◦▪‣-]|\d+[.)])\s/.test(line)) row.classList.add("li");
        if (line === "") row.classList.add("blank");
        row.appendChild(inline(line, ctx));
        box.appendChild(row);
      });
    });
    return box;
  }

  function text(obj, ctx) {
    if (!obj) return document.createDocumentFragment();
    if (obj.type === "mrkdwn") return mrkdwn(obj.text, ctx);
    const span = el("span", "plain");
    span.appendChild(plain(obj.text, obj.emoji));
    return span;
  }

  // --- blocks -------------------------------------------------------------------------------

  function blocks(list, ctx) {
    const box = el("div", "blocks");
    for (const block of list || []) box.appendChild(block1(block, ctx));
    return box;
  }

  function block1(b, ctx) {
    switch (b.type) {
      case "section": return section(b, ctx);
      case "header": {
        const h = el("div", "bk-header");
        h.setAttribute("role", "heading");
        h.setAttribute("aria-level", "3");
        h.appendChild(text(b.text, ctx));
        return h;
      }
      case "divider": return el("hr", "bk-divider");
      case "context": {
        const c = el("div", "bk-context");
        for (const e of b.elements || []) c.appendChild(e.type === "image" ? image(e, "bk-context-img") : text(e, ctx));
        return c;
      }
      case "image": {
        const fig = el("figure", "bk-image");
        if (b.title) fig.appendChild(el("figcaption", "", b.title.text));
        fig.appendChild(image(b, "bk-image-img"));
        return fig;
      }
      case "actions": {
        const row = el("div", "bk-actions");
        for (const e of b.elements || []) row.appendChild(element(e, b, ctx));
        return row;
      }
      case "input": return input(b, ctx);
      case "markdown": return mrkdwn(b.text, ctx);
      default: return el("div", "bk-unknown", `[${b.type} block]`);
    }
  }

  function section(b, ctx) {
    const s = el("div", "bk-section");
    const main = el("div", "bk-section-main");
    if (b.text) main.appendChild(text(b.text, ctx));
    if (b.fields && b.fields.length) {
      const grid = el("div", "bk-fields");
      for (const f of b.fields) {
        const cell = el("div", "bk-field");
        cell.appendChild(text(f, ctx));
        grid.appendChild(cell);
      }
      main.appendChild(grid);
    }
    s.appendChild(main);
    if (b.accessory) {
      const acc = el("div", "bk-accessory");
      acc.appendChild(b.accessory.type === "image" ? image(b.accessory, "bk-thumb") : element(b.accessory, b, ctx));
      s.appendChild(acc);
    }
    return s;
  }

  // Images: ours (uploaded files) or data: URLs; the page never loads other sites.
  function image(e, cls) {
    const img = el("img", cls);
    img.alt = e.alt_text || "";
    const file = e.slack_file;
    const url = file ? file.url || (file.id ? "/files/" + file.id : "") : e.image_url || "";
    if (/^(\/files\/|data:image\/)/.test(url)) img.src = url;
    else img.title = "not loaded: " + url; // the real Slack fetches it; the playground stays offline
    return img;
  }

  function element(e, block, ctx) {
    if (e.type === "button") {
      const btn = el("button", "bk-button" + (e.style ? " bk-" + e.style : ""));
      btn.type = "button";
      btn.appendChild(plain(e.text && e.text.text, e.text && e.text.emoji));
      if (e.url) btn.title = e.url;
      btn.addEventListener("click", () => ctx.act({
        type: "button", action_id: e.action_id, block_id: block.block_id,
        value: e.value, text: e.text, style: e.style,
      }, btn));
      return btn;
    }
    if (e.type === "static_select") {
      const sel = el("select", "bk-select");
      sel.setAttribute("aria-label", (e.placeholder && e.placeholder.text) || "Choose");
      for (const o of e.options || []) {
        const opt = el("option", "", o.text.text);
        opt.value = o.value;
        sel.appendChild(opt);
      }
      sel.addEventListener("change", () => ctx.act({
        type: "static_select", action_id: e.action_id, block_id: block.block_id,
        selected_option: (e.options || []).find((o) => o.value === sel.value),
      }, sel));
      return sel;
    }
    if (e.type === "image") return image(e, "bk-thumb");
    return el("span", "bk-unknown", `[${e.type}]`);
  }

  function input(b, ctx) {
    const box = el("div", "bk-input");
    const id = "input-" + (b.block_id || Math.random().toString(36).slice(2));
    const label = el("label", "bk-label");
    label.htmlFor = id;
    label.appendChild(plain(b.label && b.label.text));
    if (b.optional) label.appendChild(el("span", "bk-optional", " (optional)"));
    box.appendChild(label);
    const e = b.element || {};
    const field = el(e.multiline ? "textarea" : "input", "bk-field-input");
    field.id = id;
    if (!e.multiline) field.type = "text";
    if (e.max_length) field.maxLength = e.max_length;
    if (e.placeholder) field.placeholder = e.placeholder.text;
    if (e.initial_value) field.value = e.initial_value;
    field.dataset.blockId = b.block_id || "";
    field.dataset.actionId = e.action_id || "";
    box.appendChild(field);
    if (b.hint) box.appendChild(el("div", "bk-hint", b.hint.text));
    box.appendChild(el("div", "bk-error"));
    return box;
  }

  return { blocks, mrkdwn, text, plain, el, decode };
})();
