//! The results store (sqlx). The only place SQL appears.
