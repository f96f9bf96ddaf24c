// Brevet console, role wizard: shows only the section of the trusted
// entity type chosen. Without it every section shows, and the server
// reads the one the radio button names.
'use strict';
document.addEventListener('DOMContentLoaded', () => {
  const radios = document.querySelectorAll('input[name="TrustType"]');
  const sections = document.querySelectorAll('.trust-section');
  const show = () => {
    const chosen = document.querySelector('input[name="TrustType"]:checked');
    for (const s of sections) s.hidden = !chosen || s.dataset.trust !== chosen.value;
  };
  for (const r of radios) r.addEventListener('change', show);
  show();
});
