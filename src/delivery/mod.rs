//! Delivery, the domain of DESIGN §5 that the DORA keys count: [`services`] (what is deployed),
//! [`adoption`] (which repositories are deployable services, adoption's denominator),
//! [`changes`] (the unit of lead time: a pull request, or a commit pushed outside any),
//! [`rollouts`] (a service's commit reaching production, or a rollback) and [`failures`] (which
//! rollouts failed, and their recovery). Pure functions and types: this module reads and writes
//! nothing; the collectors and the store call it.

pub mod adoption;
pub mod changes;
pub mod failures;
pub mod rollouts;
pub mod services;
