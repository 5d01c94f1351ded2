// mjbot Vary (Region) editor: paint a mask (white = repaint) over the image and submit it.
// No external scripts: this file, the page and its stylesheet are served by the bot itself.
"use strict";

(function () {
  const main = document.getElementById("editor");
  if (!main) return;
  const canvas = document.getElementById("paint");
  const picture = document.getElementById("picture");
  const sizeInput = document.getElementById("size");
  const undoButton = document.getElementById("undo");
  const clearButton = document.getElementById("clear");
  const submitButton = document.getElementById("submit");
  const form = document.getElementById("form");
  const prompt = document.getElementById("prompt");
  const status = document.getElementById("status");
  const width = Number(main.dataset.width);
  const height = Number(main.dataset.height);
  const view = canvas.getContext("2d");
  const OVERLAY = "#ff2d78";

  // Every shape drawn, in order: undo and clear redraw from this list.
  const shapes = [];
  let tool = "brush";
  let current = null;
  let sending = false;

  function scale() {
    const box = canvas.getBoundingClientRect();
    return box.width > 0 ? width / box.width : 1;
  }

  function point(event) {
    const box = canvas.getBoundingClientRect();
    const x = ((event.clientX - box.left) / box.width) * width;
    const y = ((event.clientY - box.top) / box.height) * height;
    return [Math.max(0, Math.min(width, x)), Math.max(0, Math.min(height, y))];
  }

  function draw(context, shape, colour) {
    context.fillStyle = colour;
    context.strokeStyle = colour;
    if (shape.tool === "brush") {
      context.lineWidth = shape.size;
      context.lineCap = "round";
      context.lineJoin = "round";
      const [x0, y0] = shape.points[0];
      context.beginPath();
      context.arc(x0, y0, shape.size / 2, 0, Math.PI * 2);
      context.fill();
      context.beginPath();
      context.moveTo(x0, y0);
      for (const [x, y] of shape.points.slice(1)) context.lineTo(x, y);
      context.stroke();
    } else if (shape.tool === "rect") {
      const [x0, y0] = shape.points[0];
      const [x1, y1] = shape.points[shape.points.length - 1];
      context.fillRect(Math.min(x0, x1), Math.min(y0, y1), Math.abs(x1 - x0), Math.abs(y1 - y0));
    } else if (shape.tool === "lasso" && shape.points.length > 2) {
      context.beginPath();
      context.moveTo(shape.points[0][0], shape.points[0][1]);
      for (const [x, y] of shape.points.slice(1)) context.lineTo(x, y);
      context.closePath();
      context.fill();
    } else if (shape.tool === "lasso") {
      context.lineWidth = 2 * scale();
      context.beginPath();
      context.moveTo(shape.points[0][0], shape.points[0][1]);
      for (const [x, y] of shape.points.slice(1)) context.lineTo(x, y);
      context.stroke();
    }
  }

  function redraw() {
    view.clearRect(0, 0, width, height);
    for (const shape of shapes) draw(view, shape, OVERLAY);
    if (current) draw(view, current, OVERLAY);
    const empty = shapes.length === 0;
    undoButton.disabled = empty || sending;
    clearButton.disabled = empty || sending;
    submitButton.disabled = empty || sending;
  }

  function say(text, isError) {
    status.textContent = text;
    status.classList.toggle("error", Boolean(isError));
  }

  function chooseTool(name) {
    tool = name;
    for (const button of document.querySelectorAll(".tool")) {
      button.setAttribute("aria-pressed", String(button.dataset.tool === name));
    }
  }

  for (const button of document.querySelectorAll(".tool")) {
    button.addEventListener("click", () => chooseTool(button.dataset.tool));
  }

  canvas.addEventListener("pointerdown", (event) => {
    if (sending || (event.pointerType === "mouse" && event.button !== 0)) return;
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    const size = Number(sizeInput.value) * scale();
    current = { tool: tool, size: size, points: [point(event)] };
    redraw();
  });

  canvas.addEventListener("pointermove", (event) => {
    if (!current) return;
    event.preventDefault();
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    for (const each of events.length ? events : [event]) current.points.push(point(each));
    redraw();
  });

  function finish(event) {
    if (!current) return;
    if (event.type === "pointerup") current.points.push(point(event));
    const shape = current;
    current = null;
    const [x0, y0] = shape.points[0];
    const [x1, y1] = shape.points[shape.points.length - 1];
    const tiny = shape.tool === "rect" && (Math.abs(x1 - x0) < 2 || Math.abs(y1 - y0) < 2);
    const open = shape.tool === "lasso" && shape.points.length < 3;
    if (!tiny && !open) shapes.push(shape);
    say(shapes.length ? "" : "Paint the region you want Midjourney to change.");
    redraw();
  }

  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointercancel", finish);

  undoButton.addEventListener("click", () => {
    shapes.pop();
    redraw();
  });
  clearButton.addEventListener("click", () => {
    shapes.length = 0;
    redraw();
  });
  document.addEventListener("keydown", (event) => {
    if (event.target === prompt) return;
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z") {
      event.preventDefault();
      shapes.pop();
      redraw();
    } else if (!event.ctrlKey && !event.metaKey) {
      const tools = { b: "brush", r: "rect", l: "lasso" };
      if (tools[event.key]) chooseTool(tools[event.key]);
    }
  });

  // The mask at the image's exact size: black everywhere, white where painted.
  function maskBlob() {
    const mask = document.createElement("canvas");
    mask.width = width;
    mask.height = height;
    const context = mask.getContext("2d");
    context.fillStyle = "#000";
    context.fillRect(0, 0, width, height);
    for (const shape of shapes) draw(context, shape, "#fff");
    return new Promise((resolve) => mask.toBlob(resolve, "image/png"));
  }

  function base64(blob) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result).split(",", 2)[1]);
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(blob);
    });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (sending || shapes.length === 0) return;
    sending = true;
    redraw();
    say("Sending…");
    try {
      const body = {
        csrf: main.dataset.csrf,
        prompt: prompt.value,
        mask: await base64(await maskBlob()),
      };
      const response = await fetch(main.dataset.submit, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
        credentials: "same-origin",
        cache: "no-store",
      });
      const answer = await response.json().catch(() => ({}));
      if (response.ok && answer.ok) {
        main.hidden = true;
        document.getElementById("done").hidden = false;
        return;
      }
      sending = Boolean(answer.final);
      say(answer.error || "Something went wrong (" + response.status + "). Please try again.", true);
    } catch (error) {
      sending = false;
      say("Could not reach the bot. Check your connection and try again.", true);
    }
    redraw();
  });

  picture.addEventListener("error", () => {
    say("The image could not be loaded. Reload the page to try again.", true);
  });
  // The expiry in the member's own time zone (the server only knows UTC).
  const expiry = document.querySelector("time[datetime]");
  if (expiry) {
    const when = new Date(expiry.getAttribute("datetime"));
    const options = { hour: "2-digit", minute: "2-digit" };
    if (!isNaN(when)) expiry.textContent = "at " + when.toLocaleTimeString([], options);
  }
  say("Paint the region you want Midjourney to change.");
  redraw();
})();
