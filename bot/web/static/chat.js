// tepai web chat. Every text from the server or the visitor goes into the page with
// textContent, never innerHTML. URLs are relative, so the page works under any path prefix.
"use strict";

(function () {
  const log = document.getElementById("log");
  const form = document.getElementById("ask");
  const input = document.getElementById("text");
  const sendButton = document.getElementById("send");
  const surveyButton = document.getElementById("survey");
  let csrf = "";
  let labels = {};
  let cursor = 0;
  let polling = null;
  let busy = false;
  let polls = 0;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function bubble(kind, who) {
    const box = el("div", "msg " + kind);
    if (who) box.appendChild(el("span", "who", who));
    log.appendChild(box);
    return box;
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  async function api(path, body) {
    const options = body === undefined
      ? { method: "GET", credentials: "same-origin", headers: { "Accept": "application/json" } }
      : { method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, "Accept": "application/json" },
          body: JSON.stringify(body) };
    let response;
    try {
      response = await fetch(path, options);
    } catch (e) {
      return { kind: "error", text: labels.network || document.body.dataset.network };
    }
    try {
      return await response.json();
    } catch (e) {
      return { kind: "error", text: labels.network || document.body.dataset.network };
    }
  }

  function button(label, onPress, className) {
    const b = el("button", className || "", label);
    b.type = "button";
    b.addEventListener("click", onPress);
    return b;
  }

  function spend(container) {
    container.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
  }

  function focusNext(box) {
    const first = box && box.querySelector("button:not([disabled])");
    (first || input).focus();
  }

  function showNotice(result) {
    const box = bubble("notice", labels.bot);
    box.appendChild(el("p", "", result.text));
    scrollDown();
    return box;
  }

  function showAnswer(result) {
    const box = bubble("bot", labels.bot);
    box.dataset.qa = String(result.qa_id);
    box.appendChild(el("p", "lead", result.lead));
    if (result.sources_label) box.appendChild(el("p", "", result.sources_label));
    (result.citations || []).forEach(function (c) {
      const cite = el("div", "cite");
      cite.appendChild(el("span", "source", "[" + c.n + "] " + c.source));
      cite.appendChild(el("blockquote", "", c.text));
      box.appendChild(cite);
    });
    (result.notes || []).forEach(function (n) { box.appendChild(el("p", "note", n)); });
    if (result.offer) box.appendChild(el("p", "note", result.offer));
    const row = el("div", "buttons");
    if (result.answered) {
      row.appendChild(button(labels.helpful, function () { feedback(result.qa_id, "up", row); }));
      row.appendChild(button(labels.unhelpful, function () { feedback(result.qa_id, "down", row); }));
    }
    row.appendChild(button(labels.handoff, function (e) { handoff(result.qa_id, e.currentTarget); }, "handoff"));
    box.appendChild(row);
    scrollDown();
    return box;
  }

  function showSurvey(result) {
    const box = bubble("bot", labels.bot);
    box.appendChild(el("p", "", result.text));
    (result.buttons || []).forEach(function (rowData) {
      const row = el("div", "buttons");
      rowData.forEach(function (b) {
        row.appendChild(button(b.label, function () { surveyPress(b.data, box); }));
      });
      box.appendChild(row);
    });
    if (result.buttons && result.buttons.length) box.appendChild(el("p", "note", labels.survey_hint));
    if (result.suggestions) showSuggestions(result.suggestions);
    scrollDown();
    return box;
  }

  function showSuggestions(s) {
    if (!s || !s.text) return;
    const box = bubble("bot", labels.bot);
    box.appendChild(el("p", "", s.text));
    (s.items || []).forEach(function (item, i) {
      const part = el("div", "specialist");
      part.appendChild(el("p", "", (i + 1) + ". " + item.name + "，" + item.institution + (item.title ? "，" + item.title : "")));
      part.appendChild(el("p", "", item.expertise));
      part.appendChild(el("p", "note", item.reason));
      const row = el("div", "buttons");
      row.appendChild(button(labels.request + "：" + item.name, async function (e) {
        e.currentTarget.disabled = true;
        showResult(await api("api/request", { specialist: item.id }));
      }));
      part.appendChild(row);
      box.appendChild(part);
    });
  }

  function showResult(result) {
    if (!result) return null;
    if (result.kind === "answer") return showAnswer(result);
    if (result.kind === "survey") return showSurvey(result);
    return showNotice(result);
  }

  async function feedback(qaId, value, row) {
    row.querySelectorAll("button:not(.handoff)").forEach(function (b) { b.disabled = true; });
    showResult(await api("api/feedback", { qa_id: qaId, value: value }));
  }

  async function handoff(qaId, pressed) {
    pressed.disabled = true;
    showResult(await api("api/handoff", { qa_id: qaId }));
    startPolling();
    input.focus();
  }

  async function surveyPress(data, box) {
    spend(box);
    const shown = showResult(await api("api/survey", { data: data }));
    focusNext(shown);
  }

  async function startSurvey() {
    const shown = showResult(await api("api/survey", {}));
    focusNext(shown);
  }

  async function send(text) {
    if (busy) return;
    busy = true;
    sendButton.disabled = true;
    const mine = bubble("you", labels.you);
    mine.appendChild(el("p", "", text));
    const waiting = el("p", "note", labels.sending);
    log.appendChild(waiting);
    scrollDown();
    const result = await api("api/send", { text: text });
    waiting.remove();
    showResult(result);
    busy = false;
    sendButton.disabled = false;
    input.focus();
  }

  async function poll() {
    const result = await api("api/messages?after=" + cursor);
    if (!result || !result.messages) return;
    result.messages.forEach(function (m) {
      const box = bubble(m.kind === "staff_reply" ? "staff" : "bot", m.from + " · " + m.time);
      box.appendChild(el("p", "", m.text));
    });
    if (result.messages.length) scrollDown();
    cursor = result.cursor || cursor;
    polls += 1;
    document.body.dataset.polls = String(polls);  // lets a test wait for the next poll, not a clock
  }

  function startPolling() {
    if (polling === null) polling = window.setInterval(poll, 3000);
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    const text = input.value.trim();
    if (!text || busy) { input.focus(); return; }  // while an answer is coming, the text stays
    input.value = "";
    send(text);
  });
  input.addEventListener("keydown", function (e) {
    // Enter sends; Shift+Enter is a new line (a survey description may have several).
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  surveyButton.addEventListener("click", startSurvey);

  async function start() {
    const state = await api("api/session");
    if (!state || !state.csrf) { showNotice(state || { text: "" }); return; }
    csrf = state.csrf;
    labels = state.labels || {};
    input.maxLength = (state.limits && state.limits.message) || 1000;
    surveyButton.hidden = !state.survey_open;
    await poll();
    startPolling();
    if (state.survey_active) {
      // Closed the tab mid-survey: the draft is in the database, carry on where they were.
      showResult(await api("api/survey", {}));
    }
    document.body.dataset.ready = "1";
  }

  start();
})();
