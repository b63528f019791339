from tests.mocked_bot import Telegram


async def test_citizen_completes_low_rating_path(telegram: Telegram) -> None:
    await telegram.send(5001, "/start t-SUP01-EPGU")
    print(telegram.last(5001).text)
    await telegram.tap(5001, "Agree")
    print(telegram.last(5001).text)
    await telegram.tap(5001, "2")
    print(telegram.last(5001).text)
    await telegram.tap(5001, "Queue")
    await telegram.tap(5001, "Done")
    print(telegram.last(5001).text)
    await telegram.tap(5001, "рассмотрение")
    await telegram.tap(5001, "High")
    await telegram.send(5001, "Долго ждал")
    print(telegram.last(5001).text)
    await telegram.tap(5001, "Пенсионер")
    print(telegram.last(5001).text)
