// Handover defect pages: "select all" on the defect list, a thumbnail of each chosen photo
// before it is sent, and no double submit from a double tap. Plain DOM, no dependencies.
(function () {
  "use strict";
  document.querySelectorAll("[data-select-all]").forEach(function (all) {
    all.addEventListener("change", function () {
      var form = all.closest("form") || document;
      form.querySelectorAll("input[name=ids]").forEach(function (box) {
        box.checked = all.checked;
      });
    });
  });
  document.querySelectorAll("input[type=file][data-preview]").forEach(function (input) {
    var out = document.getElementById(input.getAttribute("data-preview"));
    if (!out) return;
    input.addEventListener("change", function () {
      out.textContent = "";
      Array.prototype.forEach.call(input.files || [], function (file) {
        var img = document.createElement("img");
        img.className = "dphoto";
        img.alt = file.name;
        img.src = URL.createObjectURL(file);
        img.onload = function () { URL.revokeObjectURL(img.src); };
        out.appendChild(img);
      });
    });
  });
  document.querySelectorAll("form[method=post]").forEach(function (form) {
    form.addEventListener("submit", function () {
      // After the browser has taken the values: a second tap sends nothing.
      setTimeout(function () {
        form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      }, 0);
    });
  });
  // Coming back with the browser's back button shows the page as it was left: re-enable.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[method=post] button[type=submit]").forEach(function (b) {
      b.disabled = false;
    });
  });
})();
