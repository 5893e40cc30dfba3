// Monev KIP: evidence upload with a progress bar. Posts the file to the JSON API with the CSRF
// token as the X-CSRF-Token header, so the server can stream the body. Without JavaScript the
// same form posts to the page, which also works (see app/evidence/views.py).
(function () {
  "use strict";
  var form = document.getElementById("evidence-upload");
  if (!form || !window.XMLHttpRequest || !window.FormData) { return; }
  var input = form.querySelector("input[type=file]");
  var button = document.getElementById("upload-button");
  var box = document.getElementById("upload-progress");
  var bar = box.querySelector(".progress-bar");
  var status = document.getElementById("upload-status");

  function show(message, kind) {
    status.textContent = "";
    var div = document.createElement("div");
    div.className = "alert alert-" + kind + " mb-3";
    div.textContent = message;
    status.appendChild(div);
  }
  function progress(percent) {
    var p = Math.max(0, Math.min(100, Math.round(percent)));
    box.setAttribute("aria-valuenow", String(p));
    bar.style.width = p + "%";
    bar.textContent = p + "%";
  }
  function done() {
    button.disabled = false;
    input.disabled = false;
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var file = input.files && input.files[0];
    if (!file) { show("Pilih berkas terlebih dahulu.", "danger"); return; }
    var max = parseInt(form.dataset.maxBytes, 10);
    if (max && file.size > max) {
      show("Berkas melebihi batas ukuran " + form.dataset.maxSize + ". Tidak ada yang dikirim.", "danger");
      return;
    }
    if (file.size === 0) { show("Berkas kosong (0 bita). Pilih berkas yang berisi dokumen.", "danger"); return; }
    var data = new FormData();
    var replaces = form.querySelector("[name=replaces_id]");
    if (replaces && replaces.value) { data.append("replaces_id", replaces.value); }
    data.append("file", file);

    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.dataset.api);
    xhr.setRequestHeader("X-CSRF-Token", form.querySelector("[name=csrf_token]").value);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) { progress(e.loaded * 100 / e.total); }
    });
    xhr.addEventListener("load", function () {
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = {}; }
      if (xhr.status === 201 && body.id) {
        progress(100);
        show("Berhasil diunggah: " + body.original_name + ". Memuat ulang daftar…", "success");
        window.location.assign(form.dataset.done + "?diunggah=" + encodeURIComponent(body.id));
        return;
      }
      box.classList.add("d-none");
      show(body.detail || ("Unggahan gagal (HTTP " + xhr.status + "). Coba lagi."), "danger");
      done();
    });
    xhr.addEventListener("error", function () {
      box.classList.add("d-none");
      show("Koneksi terputus saat mengunggah; berkas belum tersimpan. Periksa koneksi lalu coba lagi.", "danger");
      done();
    });
    button.disabled = true;
    input.disabled = true;
    status.textContent = "";
    progress(0);
    box.classList.remove("d-none");
    xhr.send(data);
  });
})();
