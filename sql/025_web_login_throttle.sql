-- 025_web_login_throttle.sql - login throttling of the web manager.
--
-- Failed logins are counted per client IP and per login in a fixed
-- window, in SQL so the limit holds across casier-mgmtd processes and
-- hosts (DESIGN section 12).  mgmtd/session.c reads and updates it.
CREATE TABLE web_login_failure (
	kind text NOT NULL CHECK (kind IN ('ip', 'login')),
	key text NOT NULL CHECK (length(key) BETWEEN 1 AND 128),
	window_start timestamptz NOT NULL DEFAULT now(),
	failures integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
	PRIMARY KEY (kind, key)
);
CREATE INDEX web_login_failure_window_idx ON web_login_failure (window_start);

-- Sessions are looked up by hash and expire; this index serves the
-- periodic clean-up of expired rows.
CREATE INDEX admin_session_expires_idx ON admin_session (expires_at);
