"""Evidence (data dukung): storage, uploads, downloads, link checks."""
