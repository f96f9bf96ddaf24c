// Brevet console: small progressive enhancements shared by every page.
// The pages work without it; nothing here is required to use them.
'use strict';
document.addEventListener('DOMContentLoaded', () => {
  // Forms marked data-confirm ask before they submit (deletions).
  for (const f of document.querySelectorAll('form[data-confirm]')) {
    f.addEventListener('submit', (e) => {
      if (!window.confirm(f.dataset.confirm)) e.preventDefault();
    });
  }
});
