/* Choosing a place candidate (click or Enter) fills the hidden place id. The candidates'
   box names the fields it fills (data-id-field, data-name-field) and the one to go to
   next (data-next-field): the hotline form, and the correction of an alert's place. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("#place-candidates button.candidate");
    if (!button || !button.dataset.id) { return; }
    var box = document.getElementById("place-candidates");
    document.getElementById(box.dataset.idField || "id_place_id").value = button.dataset.id;
    document.getElementById(box.dataset.nameField || "id_place").value = button.dataset.name;
    box.textContent = "";
    var next = document.getElementById(box.dataset.nextField || "id_phone");
    if (next) { next.focus(); }
  });
})();
