package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
)

// LoginProfiles implements store.Repos.
func (r repos) LoginProfiles() store.LoginProfiles { return loginProfiles(r) }

// PasswordPolicies implements store.Repos.
func (r repos) PasswordPolicies() store.PasswordPolicies { return passwordPolicies(r) }

type loginProfiles struct{ c conn }

func (r loginProfiles) Create(ctx context.Context, p iam.LoginProfile) error {
	return r.c.write(ctx, func(q querier) error {
		u, err := getUser(ctx, q, p.Account, p.UserName)
		if err != nil {
			return err
		}
		if _, err := exec(ctx, q, `INSERT INTO login_profiles (user_id, password_hash, reset_required, created_at, password_changed_at)
			VALUES (?, ?, ?, ?, ?)`, u.ID, p.PasswordHash, p.ResetRequired, toMicros(p.Created), toMicros(p.PasswordChanged)); err != nil {
			return err
		}
		return r.c.change(ctx, q, p.Account, store.ChangeLoginProfile, u.Name)
	})
}

func (r loginProfiles) Get(ctx context.Context, account, user string) (iam.LoginProfile, error) {
	p := iam.LoginProfile{Account: account}
	var created, changed int64
	err := r.c.reader().QueryRowContext(ctx, `SELECT u.name, l.password_hash, l.reset_required, l.created_at, l.password_changed_at
		FROM login_profiles l JOIN users u ON u.id = l.user_id WHERE u.account_id = ? AND u.name_key = ?`,
		account, iam.NameKey(user)).Scan(&p.UserName, &p.PasswordHash, &p.ResetRequired, &created, &changed)
	if errors.Is(err, sql.ErrNoRows) {
		return iam.LoginProfile{}, notFound("login profile of user %q in account %s", user, account)
	}
	if err != nil {
		return iam.LoginProfile{}, err
	}
	p.Created, p.PasswordChanged = fromMicros(created), fromMicros(changed)
	return p, nil
}

func (r loginProfiles) Update(ctx context.Context, p iam.LoginProfile) error {
	return r.c.write(ctx, func(q querier) error {
		u, err := getUser(ctx, q, p.Account, p.UserName)
		if err != nil {
			return err
		}
		res, err := exec(ctx, q, `UPDATE login_profiles SET password_hash = ?, reset_required = ?, password_changed_at = ?
			WHERE user_id = ?`, p.PasswordHash, p.ResetRequired, toMicros(p.PasswordChanged), u.ID)
		if err != nil {
			return err
		}
		if err := affected(res, "login profile of user "+u.Name); err != nil {
			return err
		}
		return r.c.change(ctx, q, p.Account, store.ChangeLoginProfile, u.Name)
	})
}

func (r loginProfiles) Delete(ctx context.Context, account, user string) error {
	return r.c.write(ctx, func(q querier) error {
		u, err := getUser(ctx, q, account, user)
		if err != nil {
			return err
		}
		res, err := exec(ctx, q, `DELETE FROM login_profiles WHERE user_id = ?`, u.ID)
		if err != nil {
			return err
		}
		if err := affected(res, "login profile of user "+u.Name); err != nil {
			return err
		}
		return r.c.change(ctx, q, account, store.ChangeLoginProfile, u.Name)
	})
}

type passwordPolicies struct{ c conn }

func (r passwordPolicies) Put(ctx context.Context, p iam.PasswordPolicy) error {
	return r.c.write(ctx, func(q querier) error {
		if err := requireAccount(ctx, q, p.Account); err != nil {
			return err
		}
		if _, err := exec(ctx, q, `INSERT INTO password_policies (account_id, minimum_length, require_symbols,
			require_numbers, require_uppercase, require_lowercase, allow_users_to_change, max_password_age,
			password_reuse_prevention, hard_expiry) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (account_id) DO UPDATE SET minimum_length = excluded.minimum_length,
			require_symbols = excluded.require_symbols, require_numbers = excluded.require_numbers,
			require_uppercase = excluded.require_uppercase, require_lowercase = excluded.require_lowercase,
			allow_users_to_change = excluded.allow_users_to_change, max_password_age = excluded.max_password_age,
			password_reuse_prevention = excluded.password_reuse_prevention, hard_expiry = excluded.hard_expiry`,
			p.Account, p.MinimumLength, p.RequireSymbols, p.RequireNumbers, p.RequireUppercaseCharacters,
			p.RequireLowercaseCharacters, p.AllowUsersToChangePassword, p.MaxPasswordAge, p.PasswordReusePrevention,
			p.HardExpiry); err != nil {
			return err
		}
		return r.c.change(ctx, q, p.Account, store.ChangePasswordPolicy, p.Account)
	})
}

func (r passwordPolicies) Get(ctx context.Context, account string) (iam.PasswordPolicy, error) {
	p := iam.PasswordPolicy{Account: account}
	err := r.c.reader().QueryRowContext(ctx, `SELECT minimum_length, require_symbols, require_numbers,
		require_uppercase, require_lowercase, allow_users_to_change, max_password_age, password_reuse_prevention,
		hard_expiry FROM password_policies WHERE account_id = ?`, account).Scan(&p.MinimumLength, &p.RequireSymbols,
		&p.RequireNumbers, &p.RequireUppercaseCharacters, &p.RequireLowercaseCharacters, &p.AllowUsersToChangePassword,
		&p.MaxPasswordAge, &p.PasswordReusePrevention, &p.HardExpiry)
	if errors.Is(err, sql.ErrNoRows) {
		return iam.PasswordPolicy{}, notFound("password policy of account %s", account)
	}
	return p, err
}

func (r passwordPolicies) Delete(ctx context.Context, account string) error {
	return r.c.write(ctx, func(q querier) error {
		res, err := exec(ctx, q, `DELETE FROM password_policies WHERE account_id = ?`, account)
		if err != nil {
			return err
		}
		if err := affected(res, "password policy of account "+account); err != nil {
			return err
		}
		return r.c.change(ctx, q, account, store.ChangePasswordPolicy, account)
	})
}
