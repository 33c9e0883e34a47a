"""Getting renders onto a phone and keeping them current: content keys, watching, export folders."""
