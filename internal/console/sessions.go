package console

import "net/http"

// sessionsRoutes registers the sessions pages.
func (h *Handler) sessionsRoutes(m *http.ServeMux) {}
