/* Choosing a place candidate (click or Enter) fills the hidden place id. The candidates'
   box names the fields it fills (data-id-field, data-name-field) and the one to go to
   next (data-next-field): the hotline form, the correction of an alert's place and the
   patrol request form. Typing in the name again forgets the id chosen before. */
(function () {
  "use strict";
  function box() { return document.getElementById("place-candidates"); }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("#place-candidates button.candidate");
    if (!button || !button.dataset.id) { return; }
    var candidates = box();
    document.getElementById(candidates.dataset.idField || "id_place_id").value = button.dataset.id;
    document.getElementById(candidates.dataset.nameField || "id_place").value = button.dataset.name;
    candidates.textContent = "";
    var next = document.getElementById(candidates.dataset.nextField || "id_phone");
    if (next) { next.focus(); }
  });
  // The page shown again because the place said may be several: the caller is on the
  // line, so the places to choose from come first.
  document.addEventListener("DOMContentLoaded", function () {
    var first = document.querySelector("#place-candidates button.candidate");
    if (first) { first.focus(); }
  });
  document.addEventListener("input", function (event) {
    var candidates = box();
    if (!candidates || event.target.id !== (candidates.dataset.nameField || "id_place")) { return; }
    var id = document.getElementById(candidates.dataset.idField || "id_place_id");
    if (id) { id.value = ""; }
  });
})();
