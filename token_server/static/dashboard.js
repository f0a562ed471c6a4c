// The manager dashboard: reads only the token server's REST API with the manager's bearer token.
"use strict";

const TOKEN_KEY = "jarvis.managerToken";
const LEVELS = { CRITICAL: "Critique", HIGH: "Élevé", MEDIUM: "Moyen", LOW: "Faible" };
const PRIORITIES = { urgent: "Urgent", high: "Haute", medium: "Moyenne", low: "Basse" };
const $ = (id) => document.getElementById(id);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value; else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child ?? "")));
  return node;
}

function takeTokenFromUrl() {
  const match = /(?:^|&)token=([^&]+)/.exec(location.hash.slice(1));
  if (match) {
    try {
      sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    } catch {
      sessionStorage.removeItem(TOKEN_KEY);  // a mangled link: ask for the token
    }
    history.replaceState(null, "", location.pathname);  // the token leaves the address bar and the history
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

class Unauthorised extends Error {}

async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}`, "Content-Type": "application/json" },
  });
  if (response.status === 401) throw new Unauthorised();
  const body = await response.json();
  if (!response.ok) throw new Error(body.title || `Erreur ${response.status}`);
  return body;
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = false;
}

function showLogin() {
  sessionStorage.removeItem(TOKEN_KEY);
  $("board").hidden = true;
  $("login").hidden = false;
}

// A moment is shown in the browser's zone; a calendar day ("2026-11-21": a gym's local day) as that very day.
const dateFr = (iso) => {
  if (!iso) return "—";
  const dayOnly = /^\d{4}-\d{2}-\d{2}$/.test(iso);
  return new Date(iso).toLocaleDateString("fr-FR", { day: "numeric", month: "short", ...(dayOnly ? { timeZone: "UTC" } : {}) });
};

function renderKpis(stats, atRisk, missions) {
  const sessions = stats.sessions_per_day.reduce((sum, d) => sum + d.sessions, 0);
  const kpis = [
    [sessions, `sessions sur ${stats.days} jours`],
    [atRisk.total, "membres à risque élevé ou critique"],
    [missions.total, "missions ouvertes"],
    [stats.turn_latency_ms.p95 == null ? "—" : `${stats.turn_latency_ms.p95} ms`, "latence p95 par réponse"],
  ];
  $("kpis").replaceChildren(...kpis.map(([value, label]) => el("div", { class: "kpi" }, el("b", {}, value), el("span", {}, label))));
}

function renderAtRisk(page) {
  const rows = page.items.map((m) => el("tr", { "data-member": m.member_id },
    el("td", {}, `${m.first_name} ${m.last_name}`),
    el("td", {}, el("span", { class: `level level-${m.churn_level}` }, LEVELS[m.churn_level] || m.churn_level),
      ` ${Math.round((m.churn_score || 0) * 100)} %`),
    el("td", {}, el("ul", {}, ...m.factors.map((f) => el("li", {}, f.label)))),
    el("td", {}, m.factors.length ? m.factors[0].recommendation : ""),
    el("td", {}, dateFr(m.last_visit_at))));
  $("at-risk").tBodies[0].replaceChildren(...rows);
  $("at-risk-empty").hidden = rows.length > 0;
}

function renderMissions(slug, page) {
  const items = page.items.map((m) => {
    const done = el("button", { type: "button" }, "Fait");
    done.addEventListener("click", async () => {
      done.disabled = true;
      try {
        await api(`/v1/gyms/${slug}/missions/${m.mission_id}`, { method: "PATCH", body: JSON.stringify({ status: "done" }) });
        item.remove();
      } catch (error) {
        done.disabled = false;
        showError(error.message);
      }
    });
    const item = el("li", {},
      el("div", {}, el("span", { class: `prio prio-${m.priority}` }, PRIORITIES[m.priority]), " ", m.title,
        el("small", {}, m.due_date ? `Échéance ${dateFr(m.due_date)}` : "", m.member ? ` · ${m.member.first_name} ${m.member.last_name}` : "")),
      done);
    return item;
  });
  $("missions").replaceChildren(...items);
  $("missions-empty").hidden = items.length > 0;
}

function renderCharts(stats) {
  if (typeof Chart === "undefined") {
    for (const id of ["sentiment-chart", "latency-chart", "churn-chart"]) {
      $(id).replaceWith(el("p", { class: "empty" }, "Graphique indisponible (bibliothèque non installée : make install)."));
    }
    return;
  }
  Chart.defaults.animation = false;
  const days = stats.sessions_per_day;
  new Chart($("sentiment-chart"), {
    data: {
      labels: days.map((d) => dateFr(d.day)),
      datasets: [
        { type: "line", label: "Sentiment moyen", data: days.map((d) => d.sentiment), yAxisID: "y", borderColor: "#2f6fed", spanGaps: true },
        { type: "bar", label: "Sessions", data: days.map((d) => d.sessions), yAxisID: "y1", backgroundColor: "#c7d2fe" },
      ],
    },
    options: { scales: { y: { min: -1, max: 1, position: "left" }, y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false } } } },
  });
  const latency = stats.turn_latency_ms;
  new Chart($("latency-chart"), {
    type: "bar",
    data: { labels: ["p50", "p90", "p95", "p99"],
      datasets: [{ label: `Latence par tour (ms, ${latency.turns} tours)`, data: [latency.p50, latency.p90, latency.p95, latency.p99], backgroundColor: "#2f6fed" }] },
    options: { scales: { y: { beginAtZero: true } } },
  });
  const levels = ["LOW", "MEDIUM", "HIGH", "CRITICAL"];
  new Chart($("churn-chart"), {
    type: "doughnut",
    data: { labels: levels.map((l) => LEVELS[l]),
      datasets: [{ data: levels.map((l) => stats.churn_levels[l] || 0), backgroundColor: ["#2b8a3e", "#c2a100", "#d9480f", "#b42318"] }] },
  });
}

async function loadGym(gym) {
  $("gym-name").textContent = `· ${gym.name}`;
  const slug = encodeURIComponent(gym.gym_slug);
  const [atRisk, missions, stats] = await Promise.all([
    api(`/v1/gyms/${slug}/members/at-risk?min_level=HIGH&limit=25`),
    api(`/v1/gyms/${slug}/missions?status=open&limit=25`),
    api(`/v1/gyms/${slug}/stats?days=30`),
  ]);
  renderKpis(stats, atRisk, missions);
  renderAtRisk(atRisk);
  renderMissions(slug, missions);
  renderCharts(stats);
  $("board").hidden = false;
  document.body.dataset.loaded = "true";
}

async function start() {
  $("login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token-input").value.trim());
    location.reload();
  });
  if (!takeTokenFromUrl()) return showLogin();
  try {
    const me = await api("/v1/me");
    if (!me.gyms.length) return showError("Ce compte ne gère aucune salle.");
    if (me.gyms.length > 1) {
      const select = $("gym-select");
      select.replaceChildren(...me.gyms.map((g, i) => el("option", { value: String(i) }, g.name)));
      select.hidden = false;
      select.addEventListener("change", () => { location.hash = ""; sessionStorage.setItem("jarvis.gym", select.value); location.reload(); });
      select.value = sessionStorage.getItem("jarvis.gym") || "0";
    }
    await loadGym(me.gyms[Number($("gym-select").value || 0)] || me.gyms[0]);
  } catch (error) {
    if (error instanceof Unauthorised) return showLogin();
    showError(error.message);
  }
}

start();
