/* reelmint pages: small progressive enhancements. Every page works without this file except
   live progress, which falls back to a refresh link. No inline scripts: the pages' Content
   Security Policy allows scripts from /static only. */
"use strict";

(() => {
  const MAX_STREAMS = 3;
  const FINISHED = new Set(["completed", "failed", "cancelled"]);
  const LABELS = {
    queued: "Queued",
    in_progress: "Rendering",
    completed: "Ready",
    failed: "Failed",
    cancelled: "Cancelled",
  };

  /* An API error's message as the page's own sentence (as the server's `sentence` filter
     shows it): first letter capitalised, a full stop at the end if it has none. */
  function sentence(message) {
    const text = String(message || "").trim();
    if (!text) return text;
    const ended = /[.!?]$/.test(text) ? text : `${text}.`;
    return ended.charAt(0).toUpperCase() + ended.slice(1);
  }

  /* The prompt box's character counter. */
  function counters() {
    document.querySelectorAll("textarea[data-counter]").forEach((area) => {
      const out = document.getElementById(area.dataset.counter);
      if (!out) return;
      const max = Number(out.dataset.max) || 0;
      const update = () => {
        const used = area.value.length;
        out.textContent = `${used} / ${max} characters`;
        out.classList.toggle("near-limit", max > 0 && used >= max * 0.9);
      };
      area.addEventListener("input", update);
      update();
    });
  }

  /* Forms that destroy something ask first; the server asks again if this script is off. */
  function confirmations() {
    document.querySelectorAll("form[data-confirm]").forEach((form) => {
      form.addEventListener("submit", (event) => {
        if (!window.confirm(form.dataset.confirm)) {
          event.preventDefault();
          return;
        }
        const field = form.querySelector('input[name="confirm"]');
        if (field) field.value = "yes";
      });
    });
  }

  /* "Copy" next to a new token. */
  function copyButtons() {
    document.querySelectorAll("button[data-copy]").forEach((button) => {
      const input = document.getElementById(button.dataset.copy);
      const status = document.querySelector('[data-role="copy-status"]');
      if (!input) return;
      button.hidden = false;
      button.addEventListener("click", async () => {
        input.focus();
        input.select();
        let copied = false;
        try {
          await navigator.clipboard.writeText(input.value);
          copied = true;
        } catch (_error) {
          copied = typeof document.execCommand === "function" && document.execCommand("copy");
        }
        if (status) {
          status.textContent = copied
            ? "Copied to the clipboard."
            : "Your browser would not copy it: it is selected, copy it by hand.";
        }
        button.textContent = copied ? "Copied" : "Copy";
      });
    });
  }

  /* "Use the example" fills the storyboard box. */
  function fillButtons() {
    document.querySelectorAll("button[data-fill]").forEach((button) => {
      const target = document.getElementById(button.dataset.fill);
      const source = document.getElementById(button.dataset.from);
      if (!target || !source) return;
      button.hidden = false;
      button.addEventListener("click", () => {
        target.value = source.textContent;
        target.dispatchEvent(new Event("input", { bubbles: true })); /* as if typed: re-priced */
        target.focus();
      });
    });
  }

  /* Live progress of unfinished videos, from GET /v1/videos/{id}/events (server-sent events:
     `progress` while it runs, then one of `completed` / `failed` / `cancelled`). When a video
     finishes the page reloads, so its player and buttons appear. */
  function liveProgress() {
    if (!("EventSource" in window)) return;
    // Browsers allow about six connections per server: leave room for the page's own requests.
    const boxes = Array.from(document.querySelectorAll(".live-progress[data-video-id]"));
    boxes.slice(0, MAX_STREAMS).forEach(watch);
  }

  function watch(box) {
    const id = box.dataset.videoId;
    const bar = box.querySelector('[data-role="progress"]');
    const text = box.querySelector('[data-role="progress-text"]');
    const refresh = box.querySelector('[data-role="refresh"]');
    const card = box.closest(".card, .video-page") || document;
    const badges = card.querySelectorAll('[data-role="status"]');
    let lastText = "";
    let finished = false;
    if (refresh) refresh.hidden = true;

    const show = (video) => {
      const status = String(video.status || box.dataset.status);
      const progress = Number(video.progress);
      box.dataset.status = status;
      if (bar && Number.isFinite(progress)) bar.value = progress;
      badges.forEach((badge) => {
        badge.textContent = LABELS[status] || status;
        badge.className = `badge status-${status}`;
      });
      let line = `${LABELS[status] || status}: ${Number.isFinite(progress) ? progress : 0}%`;
      if (status === "queued" && video.queue_position) {
        line = `Queued: number ${video.queue_position} in line`;
      }
      // Announce at most every 10 percent, so screen readers are not flooded.
      const coarse = `${status}:${Math.floor((Number.isFinite(progress) ? progress : 0) / 10)}`;
      if (text && coarse !== lastText) {
        text.textContent = line;
        lastText = coarse;
      }
    };

    const source = new EventSource(`/v1/videos/${encodeURIComponent(id)}/events`);
    const onEvent = (event) => {
      let video;
      try {
        video = JSON.parse(event.data);
      } catch (_error) {
        return;
      }
      show(video);
      if (FINISHED.has(video.status)) {
        finished = true;
        source.close();
        if (text) text.textContent = `${LABELS[video.status] || video.status}. Loading…`;
        window.setTimeout(() => window.location.reload(), 400);
      }
    };
    source.addEventListener("progress", onEvent);
    ["completed", "failed", "cancelled"].forEach((name) => source.addEventListener(name, onEvent));
    source.addEventListener("error", (event) => {
      // A named `error` event carries data (the video is gone, or the browser was signed
      // out); a bare one is a lost connection, which EventSource retries by itself. Either
      // way, offer the refresh link.
      if (event.data) {
        finished = true;
        source.close();
      }
      if (!finished && refresh) refresh.hidden = false;
      if (event.data && text) text.textContent = streamEndedText(event.data);
    });
    source.addEventListener("open", () => {
      if (refresh && !finished) refresh.hidden = true;
    });
    window.addEventListener("pagehide", () => source.close());
  }

  /* Why a progress stream ended with an error event (its data is the API's error body). */
  function streamEndedText(data) {
    let code = "";
    try {
      code = JSON.parse(data).error.code;
    } catch (_) {
      code = "";
    }
    if (code === "unauthorized") return "You were signed out. Sign in again to follow this video.";
    return "This video is no longer available.";
  }

  /* The create page's price: asked of the estimate API as the length or size changes. */
  /* The server names whole-frame lengths of the whole video ("use 5 or 5.041667"); an
     extension's form asks for seconds to add, so say those instead. */
  function addedInstead(error, base, seconds) {
    const lengths = error.code === "invalid_seconds" && /use ([\d.]+) or ([\d.]+)/.exec(error.message);
    if (!lengths) return "";
    const add = (length) => String(Number((Number(length) - base).toFixed(6)));
    return `Adding ${seconds} s does not end on a whole frame: add ${add(lengths[1])} or ${add(lengths[2])}.`;
  }

  function estimates() {
    const box = document.getElementById("estimate");
    const form = box && box.closest("form");
    if (!form) return;
    const token = form.querySelector("input[name=csrf_token]");
    const price = box.querySelector("[data-role=price]");
    const verdict = box.querySelector("[data-role=verdict]");
    const fees = box.querySelector("[data-role=fees]");
    if (!token || !price || !verdict) return;
    /* What each source a price is paid from is called, as the page names it. */
    const sources = JSON.parse(box.dataset.paidFrom || "{}");
    const showFees = (list) => {
      if (!fees) return;
      const named = list.map((fee) => `${fee.name} ${fee.units} unit${fee.units === 1 ? "" : "s"}`);
      fees.hidden = named.length === 0;
      fees.textContent = named.length
        ? `Plus licence fees, paid from purchased credits: ${named.join(", ")}.`
        : "";
    };
    let timer = null;
    let asked = 0;
    const ask = async () => {
      const mine = ++asked;
      /* An extension is priced whole: the source's seconds plus those added. */
      const base = Number(box.dataset.baseSeconds || 0);
      const seconds = form.elements.seconds.value;
      /* Past the room an extension has, say so in its own terms, not the whole length's. */
      const room = Number(form.elements.seconds.max || 0);
      const least = Number(form.elements.seconds.min || 0);
      const outside = base && seconds !== "" && (
        (room && Number(seconds) > room) ? `Add at most ${room} s, got ${seconds}.`
          : (least && Number(seconds) < least) ? `Add at least ${least} s, got ${seconds}.` : "");
      if (outside) {
        price.textContent = "—"; /* no price for a request that cannot be made */
        verdict.textContent = outside;
        box.classList.add("short");
        return;
      }
      const typed = form.elements.prompt.value.trim();
      const body = {
        seconds: base && seconds ? String(base + Number(seconds)) : seconds,
        size: form.elements.size.value,
      };
      /* A storyboard's shots set the length, as they will when the form is sent. It carries
         its own prompts: a prompt typed as well is sent too, so the reply says to drop one. */
      const board = form.elements.storyboard ? form.elements.storyboard.value.trim() : "";
      if (!board) body.prompt = typed || "a video";
      else if (typed) body.prompt = typed;
      if (board) {
        try {
          body.storyboard = JSON.parse(board);
        } catch (error) {
          price.textContent = "—";
          showFees([]);
          verdict.textContent = "The storyboard is not valid JSON yet: compare it with the example.";
          box.classList.add("short");
          return;
        }
      }
      if (box.dataset.backend) body.backend = box.dataset.backend;
      try {
        const reply = await fetch(box.dataset.endpoint, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": token.value },
          body: JSON.stringify(body),
        });
        if (mine !== asked) return;
        const data = await reply.json();
        if (!reply.ok) {
          price.textContent = "—";
          showFees([]);
          verdict.textContent = data.error
            ? (base && addedInstead(data.error, base, seconds)) || sentence(data.error.message)
            : "This request cannot be priced.";
          box.classList.add("short");
          return;
        }
        price.textContent = `${data.units} unit${data.units === 1 ? "" : "s"}`;
        showFees(data.licence_fees || []);
        box.classList.toggle("short", !data.affordable);
        const feesShort = data.fee_units > data.wallet.credits.purchased;
        const credits = data.wallet.credits;
        const none = data.wallet.quota.remaining + credits.granted + credits.purchased === 0;
        const unconfirmed = data.wallet.quota.needs_confirmed_email && credits.granted + credits.purchased < data.units;
        const paid = (data.paid_with || [])
          .map((part) => `${part.units} unit${part.units === 1 ? "" : "s"} of ${sources[part.source] || part.source}`)
          .join(", ");
        verdict.textContent = data.affordable
          ? `It will be paid from ${paid || "nothing"}; you are charged only if it is delivered.`
          : feesShort
            ? `Licence fees are paid from purchased credits, and you have ${credits.purchased}: buy credits or leave the character out.`
            : unconfirmed
              ? "Your free daily quota starts once you confirm your email address (Settings), or buy credits."
              : none
                ? "You have no units left: your free quota comes back at your midnight, or buy credits."
                : `You do not have enough units for it: ${base ? "add fewer seconds" : "make it shorter or smaller"}, or buy credits.`;
      } catch (error) {
        /* offline: keep the last price */
      }
    };
    /* The prompt too: the characters it names may owe licence fees (asked after a pause). */
    [["seconds", 250], ["size", 250], ["prompt", 700], ["storyboard", 700]].forEach(([name, wait]) => {
      const field = form.elements[name];
      if (!field) return;
      field.addEventListener("input", () => {
        clearTimeout(timer);
        timer = setTimeout(ask, wait);
      });
    });
  }

  /* The phone's "Menu" (a <details>, which opens and closes without this script): Escape
     closes it and puts the focus back on "Menu"; a tap outside it closes it. */
  function navMenu() {
    const menu = document.querySelector("details.nav-menu");
    if (!menu) return;
    const summary = menu.querySelector("summary");
    document.addEventListener("keydown", (event) => {
      if (event.key !== "Escape" || !menu.open) return;
      menu.open = false;
      if (summary && menu.contains(document.activeElement)) summary.focus();
    });
    document.addEventListener("click", (event) => {
      if (menu.open && !menu.contains(event.target)) menu.open = false;
    });
  }

  /* Sign-up: the browser's time zone, so the daily quota resets at the user's midnight. */
  function browserTimezone() {
    document.querySelectorAll("input[data-browser-timezone]").forEach((input) => {
      try {
        input.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
      } catch (error) {
        /* left empty: the account stays on UTC */
      }
    });
  }

  /* After a refused form the keyboard goes to the first field to fix (the alert above the
     form says why; a screen reader reads the field's name and that it is invalid). */
  function focusInvalid() {
    const field = document.querySelector('[aria-invalid="true"]');
    if (field && typeof field.focus === "function") field.focus();
  }

  function start() {
    focusInvalid();
    navMenu();
    browserTimezone();
    estimates();
    counters();
    confirmations();
    copyButtons();
    fillButtons();
    liveProgress();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
