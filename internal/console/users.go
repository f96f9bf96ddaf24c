package console

import "net/http"

// usersRoutes registers the users pages.
func (h *Handler) usersRoutes(m *http.ServeMux) {}
