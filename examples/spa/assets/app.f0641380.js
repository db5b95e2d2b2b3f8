// The SPA example's whole client: a router on location.pathname, one JSON
// fetch, no framework.  Routes: / (the user list), /users/ID (one user);
// anything else renders "page not found".  Links marked data-link change the
// route in the page (history.pushState); a reload or a deep link asks the
// server, whose --fallback /index.html answers with this same shell.
(() => {
  "use strict";

  const app = document.getElementById("app");
  let usersPromise = null;

  // Makes an element with text content and attributes.
  const el = (tag, attrs = {}, text = "") => {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
    if (text) node.textContent = text;
    return node;
  };

  // The user list, fetched once per page load.
  const loadUsers = () => {
    usersPromise ??= fetch("/data/users.json", { headers: { Accept: "application/json" } })
      .then((r) => {
        if (!r.ok) throw new Error(`users.json: HTTP ${r.status}`);
        return r.json();
      })
      .then((data) => data.users);
    return usersPromise;
  };

  const homeView = async () => {
    app.replaceChildren(el("h1", {}, "users"), el("p", { class: "loading" }, "loading..."));
    const users = await loadUsers();
    const list = el("ul", { class: "users" });
    for (const u of users) {
      const item = el("li");
      item.append(el("a", { href: `/users/${u.id}`, "data-link": "" }, u.name), ` ${u.role}, ${u.city}`);
      list.append(item);
    }
    app.querySelector(".loading").replaceWith(list);
    return "home";
  };

  const userView = async (id) => {
    app.replaceChildren(el("h1", {}, `user ${id}`), el("p", { class: "loading" }, "loading..."));
    const user = (await loadUsers()).find((u) => String(u.id) === id);
    const card = el("dl", { class: "user-card" });
    if (user) {
      for (const [label, value] of [["name", user.name], ["role", user.role], ["city", user.city], ["joined", user.joined]]) {
        card.append(el("dt", {}, label), el("dd", { class: `user-${label}` }, value));
      }
    } else {
      card.append(el("dt", {}, "name"), el("dd", { class: "user-name" }, "no such user"));
    }
    app.querySelector(".loading").replaceWith(card);
    const back = el("p");
    back.append(el("a", { href: "/", "data-link": "" }, "all users"));
    app.append(back);
    return "user";
  };

  const notFoundView = (path) => {
    app.replaceChildren(el("h1", {}, "page not found"), el("p", {}, `nothing is routed at ${path}`));
    return "not-found";
  };

  const routes = [
    [/^\/$/, () => homeView()],
    [/^\/users\/(\d+)$/, (m) => userView(m[1])],
  ];

  // Renders the view for the current path; <html data-ready> says when it is done.
  const route = async () => {
    const root = document.documentElement;
    root.removeAttribute("data-ready");
    const path = location.pathname;
    let view = () => notFoundView(path);
    for (const [pattern, make] of routes) {
      const m = path.match(pattern);
      if (m) {
        view = () => make(m);
        break;
      }
    }
    try {
      document.body.dataset.route = await view();
      document.title = `${app.querySelector("h1").textContent} - otuserver SPA example`;
      root.dataset.ready = "ok";
    } catch (err) {
      app.append(el("p", { class: "error" }, String(err)));
      root.dataset.ready = "error";
    }
  };

  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-link]");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    history.pushState(null, "", link.getAttribute("href"));
    route();
  });
  window.addEventListener("popstate", route);
  route();
})();
