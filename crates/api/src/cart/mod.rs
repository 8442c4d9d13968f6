//! Carts: one per user, or a guest's, found through an unguessable
//! `cart_token` cookie (256 random bits, stored only as a hash; a cart id is
//! never accepted from the client). A guest cart is merged into the user's
//! cart when they sign in or register.

pub mod handler;
pub mod owner;
pub mod repository;
pub mod service;
