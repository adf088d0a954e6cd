//! The narrow interface the matcher and syncer program against, so they can be tested with a
//! fake and so a second attendance vendor could be added without touching them.

use async_trait::async_trait;
use chrono::NaiveDate;

use crate::client::KotClient;
use crate::error::KotError;
use crate::summary::{DailyWorkingSummary, EmployeeDayRecords};
use crate::token::Token;
use crate::types::{
    Division, Employee, EmployeeQuery, TimeRecord, TimeRecordRequest, TimeRecordResponse,
};

#[async_trait]
pub trait AttendanceVendor: Send + Sync {
    /// Whether the token can be used (from this machine's IP).
    async fn check_token(&self, token: &Token) -> Result<bool, KotError>;
    /// Every employee as of today with their hired and resignation dates; with
    /// `include_resigned`, resigned ones too.
    async fn list_employees(
        &self,
        token: &Token,
        include_resigned: bool,
    ) -> Result<Vec<Employee>, KotError>;
    /// Registers one punch (not idempotent). Only [`KotError::certainly_not_applied`] errors
    /// prove that it was not stored.
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
    /// The company's divisions with their day border (日付変更時間, 00:00 when absent).
    async fn list_divisions(&self, token: &Token) -> Result<Vec<Division>, KotError>;
    /// Many employees' punches from `start` to `end`, by (employee key, working day).
    async fn read_days(
        &self,
        token: &Token,
        employee_keys: &[String],
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<EmployeeDayRecords, KotError>;
    /// KING OF TIME's evaluation of every employee's days (エラー勤務, 締め, totals) from `start`
    /// to `end`, of the whole company (`division: None`) or of one division: the endpoint
    /// takes no employee keys, so the caller keeps the employees it needs.
    async fn daily_workings(
        &self,
        token: &Token,
        division: Option<&str>,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<DailyWorkingSummary>, KotError>;
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
        // The employment dates too: a punch outside them is held, not posted (kot-api.md,
        // "Employment dates").
        let query = EmployeeQuery {
            include_resigned,
            additional_fields: vec!["hiredDate".to_owned(), "resignationDate".to_owned()],
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

    /// Through the documented range endpoint (`employeeKeys=KEY&start=DAY&end=DAY`): the
    /// one-day endpoint takes no `employeeKeys` (kot-api.md).
    async fn read_day(
        &self,
        token: &Token,
        employee_key: &str,
        date: NaiveDate,
    ) -> Result<Vec<TimeRecord>, KotError> {
        let days = self
            .list_timerecords(token, &[employee_key], date, date)
            .await?;
        Ok(days
            .into_iter()
            .flat_map(|day| day.daily_workings)
            .filter(|working| working.employee_key == employee_key && working.date == date)
            .flat_map(|working| working.time_record)
            .collect())
    }

    async fn list_divisions(&self, token: &Token) -> Result<Vec<Division>, KotError> {
        KotClient::list_divisions(self, token).await
    }

    async fn read_days(
        &self,
        token: &Token,
        employee_keys: &[String],
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<EmployeeDayRecords, KotError> {
        KotClient::read_days(self, token, employee_keys, start, end).await
    }

    async fn daily_workings(
        &self,
        token: &Token,
        division: Option<&str>,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<DailyWorkingSummary>, KotError> {
        self.list_daily_workings(token, division, start, end).await
    }
}
