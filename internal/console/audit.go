package console

import "net/http"

// auditRoutes registers the audit pages.
func (h *Handler) auditRoutes(m *http.ServeMux) {}
