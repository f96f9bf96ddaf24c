// Brevet console, users: the "Download credentials file" button of the
// page that shows a new access key once. It saves the text of the
// credentials file shown on the page (an AWS shared-credentials file) as
// a file; the page works without it (the text can be copied).
'use strict';
document.addEventListener('DOMContentLoaded', () => {
  const button = document.getElementById('download-credentials');
  const file = document.getElementById('credentials-file');
  if (!button || !file) return;
  button.hidden = false;
  button.addEventListener('click', () => {
    const blob = new Blob([file.textContent], { type: 'text/plain' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = button.dataset.filename || 'credentials';
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  });
});
