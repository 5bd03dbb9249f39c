"""Sentences only the Telegram channel shows, in Vietnamese (NFC)."""

from __future__ import annotations

from bot.channels.flood import SLOW_DOWN as SLOW_DOWN
from bot.core.commands import CITIZEN_COMMANDS, STAFF_COMMANDS

# Command list registered with setMyCommands (descriptions: 1-256 characters).
COMMANDS: tuple[tuple[str, str], ...] = tuple((c.name, c.description) for c in CITIZEN_COMMANDS)
ADMIN_COMMANDS: tuple[tuple[str, str], ...] = tuple((c.name, c.description) for c in STAFF_COMMANDS)

APOLOGY = (
    "Xin lỗi, trợ lý vừa gặp sự cố khi xử lý tin nhắn của bạn. Bạn vui lòng thử lại sau ít phút."
)
CALLBACK_OK = ""
CALLBACK_STALE = "Nút này không còn dùng được."
CALLBACK_SLOW_DOWN = "Vui lòng chờ một chút."
STAFF_PRIVATE_ONLY = "Nút của cán bộ chỉ dùng được trong chat riêng với trợ lý."

# Staff commands
STATS_HEADER = "📊 Thống kê"
STATS_PERIOD = (
    "{label}: {questions} câu hỏi\n"
    "• trả lời được: {answered}\n"
    "• cần chọn lại: {ambiguous}\n"
    "• chưa có câu trả lời: {no_match}\n"
    "• đánh giá: 👍 {helpful} · 👎 {not_helpful}"
)
STATS_TODAY = "Hôm nay"
STATS_WEEK = "7 ngày"
STATS_UNAVAILABLE = "Chưa bật lưu trữ nên chưa có thống kê."
INBOX_HEADER = "📥 Hộp câu hỏi cần xử lý ({count} mục, hiển thị {shown}):"
INBOX_EMPTY = "📥 Hộp câu hỏi trống. Không có gì cần xử lý."
INBOX_ITEM = "{index}. [{kind}] ×{count}: {text}"
INBOX_SUGGESTION = "   → gợi ý: {faq_id}"
INBOX_KINDS = {
    "no_match": "chưa có câu trả lời",
    "ambiguous": "chưa chắc",
    "negative_feedback": "👎",
}
INBOX_PROMOTE = "✅ {index}. Thêm vào {faq_id}"
INBOX_DISMISS = "🗑 {index}. Bỏ qua"
INBOX_PROMOTED = "Đã thêm cách hỏi này vào {faq_id} và cập nhật kho câu hỏi."
INBOX_DISMISSED = "Đã bỏ qua mục này."
INBOX_GONE = "Mục này đã được xử lý hoặc không còn trong hộp."
INBOX_UNAVAILABLE = "Chưa bật lưu trữ nên chưa có hộp câu hỏi."
RELOADED = "Đã tải lại kho câu hỏi: phiên bản {version}, {entries} câu hỏi đang dùng."
RELOAD_FAILED = "Không tải lại được kho câu hỏi. Chi tiết đã được ghi vào nhật ký."

BROADCAST_USAGE = (
    "Gõ /broadcast rồi nội dung thông báo trong cùng tin nhắn, ví dụ:\n"
    "/broadcast Cổng dịch vụ công tạm dừng bảo trì từ 22h tối nay."
)
BROADCAST_PREVIEW = "Xem trước thông báo sẽ gửi tới người đăng ký:\n\n{preview}"
BROADCAST_CONFIRM = "✅ Gửi ngay"
BROADCAST_CANCEL = "✖️ Hủy"
BROADCAST_STARTED = (
    "Đã tạo đợt gửi #{run_id}; đang gửi. Xem tiến độ: python -m bot broadcast status"
)
BROADCAST_CANCELLED = "Đã hủy, không gửi gì."
BROADCAST_INVALID = "Không gửi được thông báo này: {reason}"
BROADCAST_UNAVAILABLE = "Chức năng gửi thông báo chưa bật (cần cơ sở dữ liệu và token Telegram)."

# Broadcast sender (staff read these in the CLI, the console and the log)
RATE_NOT_POSITIVE = "TELEGRAM_BROADCAST_RATE phải là số dương (đang là {rate})."
RATE_TOO_HIGH = (
    "TELEGRAM_BROADCAST_RATE={rate:g} vượt giới hạn {limit:g} tin/giây của Telegram. "
    "Hãy đặt tối đa {limit:g}, hoặc bật TELEGRAM_PAID_BROADCAST=true nếu bot dùng gửi trả phí."
)
RATE_TOO_HIGH_PAID = (
    "TELEGRAM_BROADCAST_RATE={rate:g} vượt mức tối đa {limit:g} tin/giây kể cả khi gửi trả phí."
)
TOKEN_REFUSED = (
    "Telegram từ chối TELEGRAM_BOT_TOKEN (token sai hoặc đã bị thu hồi). Không gửi tin nào."
)
TELEGRAM_UNREACHABLE = (
    "Không kết nối được máy chủ Telegram: {error}. Các tin chưa gửi vẫn được giữ lại."
)
