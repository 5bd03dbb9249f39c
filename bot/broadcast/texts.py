"""Sentences staff read from broadcast commands and errors, in Vietnamese (NFC)."""

from __future__ import annotations

# --- settings
BAD_TIMEZONE = "TIMEZONE={value!r} không phải múi giờ hợp lệ (ví dụ Asia/Ho_Chi_Minh)."
BAD_HHMM = "{name}={value!r} không hợp lệ: cần giờ dạng HH:MM, ví dụ 21:00."
CRON_FIELDS = (
    "Lịch gửi {expr!r} không hợp lệ: cần đúng 5 trường (phút giờ ngày tháng thứ), "
    "ví dụ '0 8 * * tue' = 8 giờ sáng thứ Ba; đang có {count} trường."
)
CRON_BAD_WEEKDAY = (
    "Lịch gửi {expr!r} không hợp lệ: thứ {token!r} không đọc được "
    "(dùng 0-7 với 0 hoặc 7 = Chủ nhật, hoặc mon, tue, wed, thu, fri, sat, sun)."
)
CRON_DAY_AND_WEEKDAY = (
    "Lịch gửi {expr!r} đặt cả ngày trong tháng lẫn thứ trong tuần; hãy chỉ dùng một trong hai."
)
CRON_INVALID = "Lịch gửi {expr!r} không hợp lệ: {reason}"

# --- channels
NO_CHANNEL = (
    "Chưa cấu hình kênh gửi nào: hãy đặt token của một kênh, ví dụ TELEGRAM_BOT_TOKEN "
    "(biến môi trường hoặc tệp .env), rồi chạy lại. Không có tin nào được tạo hay gửi."
)

# --- message checks
TEXT_EMPTY = "Nội dung thông báo đang trống."
TEXT_TOO_LONG = (
    "Nội dung dài {length} ký tự, vượt giới hạn {limit} ký tự của {channel}. "
    "Hãy rút gọn hoặc chia thành nhiều thông báo."
)
UNKNOWN_TIP = "Không có mẹo nào mã {tip_id!r}. Xem danh sách bằng: python -m bot tips list"
NO_TIPS = (
    "Chưa có mẹo nào trong cơ sở dữ liệu. Nhập bằng: python -m bot tips import knowledge/tips.yaml"
)
TIME_IN_PAST = "Thời điểm {when} đã qua (bây giờ là {now}). Hãy chọn một thời điểm trong tương lai."
TIME_UNREADABLE = (
    "Không đọc được thời điểm {value!r}. Dùng dạng 'YYYY-MM-DD HH:MM' (giờ {tz}) hoặc 'HH:MM' "
    "cho hôm nay."
)

# --- tips file
TIP_FIELD_MISSING = "thiếu hoặc để trống"
TIP_FIELD_TEXT = "phải là chữ"
TIP_BAD_ID = "mã mẹo chỉ gồm a-z, 0-9, dấu chấm, gạch dưới hoặc gạch ngang"
TIP_DUPLICATE = "mã mẹo bị trùng (đã có ở dòng {line})"
TIP_BODY_TOO_LONG = "dài {length} ký tự, tối đa {limit}"
TIP_BAD_LINK = "đường dẫn phải bắt đầu bằng https:// hoặc http://"
TIP_BAD_TAGS = "tags phải là danh sách chữ"
TIP_UNKNOWN_KEYS = "trường lạ: {keys} (chỉ dùng id, title, body, link, faq_id, tags)"
TIP_UNKNOWN_FAQ = "không có câu hỏi nào mã {faq_id!r} trong kho kiến thức"
TIP_FILE_SHAPE = "tệp mẹo cần dạng 'tips: [ ... ]'"
TIP_NOT_MAPPING = "mỗi mẹo phải là một mục có id, title, body"

# --- progress and reports
STATUS_NAMES = {
    "scheduled": "đã hẹn giờ",
    "running": "đang gửi",
    "paused": "tạm dừng (giờ yên lặng)",
    "finished": "đã xong",
    "cancelled": "đã hủy",
}
KIND_NAMES = {"tip": "mẹo", "announcement": "thông báo"}
RUN_CREATED = "Đã tạo đợt gửi #{run_id} cho {total} người nhận."
RUN_SCHEDULED = "Đã hẹn đợt gửi #{run_id} lúc {when}. Bot đang chạy sẽ gửi đúng giờ."
RUN_NO_RECIPIENTS = "Đợt gửi #{run_id}: chưa có ai đăng ký nhận tin nên không có gì để gửi."
RUN_DONE = (
    "Đợt gửi #{run_id} đã xong: {sent} đã gửi, {failed} lỗi, {blocked} đã chặn bot "
    "(đã ngừng gửi cho họ), {unknown} không rõ, {skipped} đã hủy đăng ký; "
    "{rate:.1f} tin/giây trong {duration}."
)
UNKNOWN_HINT = (
    "{unknown} tin 'không rõ': tiến trình dừng đột ngột lúc đang gửi nên có thể họ đã nhận. "
    "Để gửi lại (có thể trùng): python -m bot broadcast resume --resend-unknown"
)
QUIET_PAUSE = "Đang trong giờ yên lặng ({window}); đợt gửi #{run_id} tạm dừng đến {until}."
QUIET_PAUSE_CLI = (
    "Đang trong giờ yên lặng ({window}): đợt gửi #{run_id} sẽ tiếp tục lúc {until}. "
    "Có thể nhấn Ctrl-C: bot đang chạy (hoặc 'python -m bot broadcast resume') sẽ gửi tiếp."
)
OTHER_WORKER = (
    "Một tiến trình khác ({holder}) đang gửi tin trên {channel}; "
    "chờ nó xong và theo dõi tiến độ ở đây."
)
SLOT_MISSED = (
    "Lịch gửi mẹo lúc {slot} đã bị lỡ (bot hoặc cơ sở dữ liệu không chạy) và đã quá lâu để gửi "
    "bù. Nếu vẫn muốn gửi: python -m bot broadcast send --tip MÃ_MẸO"
)
NO_SUCH_RUN = "Không có đợt gửi #{run_id}."
NOTHING_TO_RESUME = "Không có đợt gửi nào đang dở."
INTERRUPTED = (
    "Đã dừng. Những tin chưa gửi vẫn được giữ; chạy 'python -m bot broadcast resume' "
    "(hoặc khởi động bot) để gửi tiếp."
)
DB_UNAVAILABLE = (
    "Không kết nối được cơ sở dữ liệu ({error}). Không có tin nào bị gửi hai lần; "
    "các tin chưa gửi sẽ được gửi khi cơ sở dữ liệu hoạt động lại."
)
FATAL_STOP = "Dừng đợt gửi #{run_id}: {error}. Các tin chưa gửi vẫn được giữ lại."
RESEND_UNKNOWN = "Đã chuyển {count} tin 'không rõ' về hàng chờ để gửi lại."
RETRY_FAILED = "Đã chuyển {count} tin lỗi về hàng chờ để gửi lại."

# --- what subscribers read
UNSUBSCRIBE_FOOTER = "Không muốn nhận tin nữa? Gõ /unsubscribe."
ANNOUNCEMENT = "📢 {text}"
