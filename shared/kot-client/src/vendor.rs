//! The narrow interface the matcher and syncer program against, so they can be tested with a
//! fake and so a second attendance vendor could be added without touching them.

use async_trait::async_trait;
use chrono::NaiveDate;

use crate::client::KotClient;
use crate::error::KotError;
use crate::token::Token;
use crate::types::{Employee, EmployeeQuery, TimeRecord, TimeRecordRequest, TimeRecordResponse};

#[async_trait]
pub trait AttendanceVendor: Send + Sync {
    /// Whether the token can be used (from this machine's IP).
    async fn check_token(&self, token: &Token) -> Result<bool, KotError>;
    /// Every employee as of today; with `include_resigned`, resigned ones too, with their
    /// resignation date.
    async fn list_employees(
        &self,
        token: &Token,
        include_resigned: bool,
    ) -> Result<Vec<Employee>, KotError>;
    /// Registers one punch (not idempotent).
    async fn post_punch(
        &self,
        token: &Token,
        employee_key: &str,
        punch: &TimeRecordRequest,
    ) -> Result<TimeRecordResponse, KotError>;
    /// The punches stored for one employee on one working day, in no particular order.
    async fn read_day(
        &self,
        token: &Token,
        employee_key: &str,
        date: NaiveDate,
    ) -> Result<Vec<TimeRecord>, KotError>;
}

#[async_trait]
impl AttendanceVendor for KotClient {
    async fn check_token(&self, token: &Token) -> Result<bool, KotError> {
        self.token_available(token).await
    }

    async fn list_employees(
        &self,
        token: &Token,
        include_resigned: bool,
    ) -> Result<Vec<Employee>, KotError> {
        let query = EmployeeQuery {
            include_resigned,
            ..EmployeeQuery::default()
        };
        KotClient::list_employees(self, token, &query).await
    }

    async fn post_punch(
        &self,
        token: &Token,
        employee_key: &str,
        punch: &TimeRecordRequest,
    ) -> Result<TimeRecordResponse, KotError> {
        self.post_timerecord(token, employee_key, punch).await
    }

    async fn read_day(
        &self,
        token: &Token,
        employee_key: &str,
        date: NaiveDate,
    ) -> Result<Vec<TimeRecord>, KotError> {
        let day = self
            .get_daily_timerecords(token, date, &[employee_key])
            .await?;
        Ok(day
            .daily_workings
            .into_iter()
            .filter(|working| working.employee_key == employee_key && working.date == date)
            .flat_map(|working| working.time_record)
            .collect())
    }
}
