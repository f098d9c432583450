/* Choosing a place candidate (click or Enter) fills the hidden place id. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("#place-candidates button.candidate");
    if (!button || !button.dataset.id) { return; }
    document.getElementById("id_place_id").value = button.dataset.id;
    document.getElementById("id_place").value = button.dataset.name;
    document.getElementById("place-candidates").textContent = "";
    document.getElementById("id_phone").focus();
  });
})();
