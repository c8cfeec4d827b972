// A search box beside a long drop-down (a <select data-picker="/pick/<kind>/">): the page lists only the first
// choices; typing asks the server for the ones whose name contains the text and puts them in the drop-down.
// Without JavaScript the drop-down still works with the choices it has, and links can name any other.
(function () {
  "use strict";
  function attach(select) {
    var box = document.createElement("input");
    box.type = "search";
    box.className = "picker-search";
    box.placeholder = select.getAttribute("data-picker-placeholder") || "";
    box.setAttribute("aria-label", box.placeholder);
    select.parentNode.insertBefore(box, select);
    var timer = null, asked = 0;
    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var number = ++asked;
        fetch(select.getAttribute("data-picker") + "?q=" + encodeURIComponent(box.value.trim()), {credentials: "same-origin"})
          .then(function (response) { return response.ok ? response.json() : {results: []}; })
          .then(function (data) {
            if (number !== asked) { return; }  // an older answer arriving late
            var chosen = select.value;
            var keep = Array.prototype.filter.call(select.options, function (o) { return o.value === "" || o.value === chosen; });
            select.innerHTML = "";
            keep.forEach(function (o) { select.appendChild(o); });
            data.results.forEach(function (item) {
              if (String(item.id) === chosen) { return; }
              var option = document.createElement("option");
              option.value = item.id;
              option.textContent = item.text;
              select.appendChild(option);
            });
          });
      }, 250);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-picker]").forEach(attach);
  });
})();
